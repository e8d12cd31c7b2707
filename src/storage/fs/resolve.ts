import { posix, resolve as resolvePath } from 'node:path';
import { type Place, SluiceError } from '../../core/errors.js';
import { LocalFileSystem, type LocalFileSystemOptions } from './local.js';
import type { FileSystem } from './types.js';
import { DEFAULT_WEBHDFS_PORT, WebHdfsFileSystem, type WebHdfsOptions } from './webhdfs.js';

/**
 * Output locations are URIs (`file:///data/x`, `hdfs://nn:9870/flume`) or plain paths. `hdfs://`
 * is spoken through WebHDFS, so its port is the namenode's HTTP port (9870 when absent), not the RPC
 * port (8020) a Java client would use; `webhdfs://` is accepted as the same thing and `swebhdfs://`
 * uses HTTPS (port 9871 when absent).
 */
export interface FsUri {
  scheme: 'file' | 'hdfs';
  /** Absolute, normalized path within the file system. */
  path: string;
  host?: string;
  port?: number;
  user?: string;
  secure?: boolean;
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

export function parseFsUri(uri: string, place?: Place): FsUri {
  const m = SCHEME.exec(uri);
  if (!m) return { scheme: 'file', path: resolvePath(uri === '' ? '.' : uri) };
  const scheme = m[1]!.toLowerCase();
  const rest = uri.slice(m[0].length);
  const bad = (what: string) =>
    new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${what} in "${uri}"`, place ? { place } : {});
  if (scheme === 'file') {
    if (!rest.startsWith('//'))
      return { scheme: 'file', path: posix.normalize(rest.startsWith('/') ? rest : `/${rest}`) };
    const slash = rest.indexOf('/', 2);
    const host = rest.slice(2, slash < 0 ? undefined : slash);
    if (host !== '' && host !== 'localhost')
      throw bad(`file URIs name the local machine, not host "${host}"`);
    return { scheme: 'file', path: slash < 0 ? '/' : posix.normalize(rest.slice(slash)) };
  }
  if (scheme === 'hdfs' || scheme === 'webhdfs' || scheme === 'swebhdfs') {
    if (!rest.startsWith('//')) throw bad(`${scheme} URIs need a namenode: ${scheme}://host[:port]/path`);
    const slash = rest.indexOf('/', 2);
    let authority = rest.slice(2, slash < 0 ? undefined : slash);
    let user: string | undefined;
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      user = decodeURIComponent(authority.slice(0, at));
      authority = authority.slice(at + 1);
    }
    const secure = scheme === 'swebhdfs';
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority);
    if (!hp) throw bad(`no namenode host`);
    const port = hp[2] === undefined ? (secure ? 9871 : DEFAULT_WEBHDFS_PORT) : Number(hp[2]);
    if (port < 1 || port > 65535) throw bad(`port ${port} out of range`);
    const path = slash < 0 ? '/' : posix.normalize(rest.slice(slash));
    return { scheme: 'hdfs', path, host: hp[1]!, port, secure, ...(user !== undefined ? { user } : {}) };
  }
  throw bad(`unsupported file system "${scheme}:" (use file://, hdfs://, webhdfs:// or a plain path)`);
}

export interface FileSystemsOptions {
  local?: LocalFileSystemOptions;
  /** Settings shared by every namenode reached through hdfs:// URIs. */
  webhdfs?: Omit<WebHdfsOptions, 'host' | 'port' | 'secure'>;
}

export interface FsLocation {
  fs: FileSystem;
  path: string;
}

/**
 * The file systems one writer talks to: one local, one per namenode and user (each with its own
 * keep-alive connections, released by `close`).
 */
export class FileSystems {
  private local: LocalFileSystem | undefined;
  private readonly remote = new Map<string, WebHdfsFileSystem>();

  constructor(private readonly opts: FileSystemsOptions = {}) {}

  resolve(uri: string, place?: Place): FsLocation {
    const u = parseFsUri(uri, place);
    if (u.scheme === 'file') {
      this.local ??= new LocalFileSystem(this.opts.local);
      return { fs: this.local, path: u.path };
    }
    const key = `${u.secure ? 's' : ''}${u.user ?? ''}@${u.host}:${u.port}`;
    let fs = this.remote.get(key);
    if (fs === undefined) {
      fs = new WebHdfsFileSystem({
        ...this.opts.webhdfs,
        host: u.host!,
        port: u.port!,
        secure: u.secure ?? false,
        ...(u.user !== undefined ? { user: u.user } : {}),
      });
      this.remote.set(key, fs);
    }
    return { fs, path: u.path };
  }

  async close(): Promise<void> {
    const all: FileSystem[] = [...this.remote.values()];
    if (this.local) all.push(this.local);
    this.remote.clear();
    this.local = undefined;
    await Promise.all(all.map((f) => f.close()));
  }
}
