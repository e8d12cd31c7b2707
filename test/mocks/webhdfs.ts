import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';

/**
 * A fake HDFS speaking the documented WebHDFS REST contract, for tests (no HDFS can run here).
 *
 * Two HTTP servers on 127.0.0.1: a "namenode" answering MKDIRS, CREATE, APPEND, RENAME and
 * GETFILESTATUS, and a "datanode" receiving the bytes. CREATE and APPEND answer 307 with a Location on
 * the datanode, exactly as the contract says, so a client that sends data to the namenode or does not
 * follow the redirect fails here. Files live in a temp directory (`local(path)`), and every request is
 * logged in `requests` so tests can count operations.
 *
 * Deliberately strict where a real namenode is: a body on a namenode CREATE/APPEND is refused, CREATE
 * without overwrite=true refuses an existing file, APPEND needs an existing file, RENAME answers false
 * when the source is missing, the destination exists or its parent does not exist, a path under a file
 * cannot become a directory, and `denied` prefixes give AccessControlException.
 */
export interface FakeWebHdfsOptions {
  /** Refuse requests without user.name (401 SecurityException); default true. */
  requireUser?: boolean;
  /** Paths under these prefixes cannot be written (403 AccessControlException). */
  denied?: string[];
}

export interface LoggedRequest {
  server: 'namenode' | 'datanode';
  method: string;
  op: string;
  path: string;
  user: string | undefined;
  /** Body bytes received. */
  bytes: number;
}

/** Marks a request as answered, so every branch of a handler visibly ends in a response. */
type Answered = true;

interface Params {
  op: string;
  path: string;
  query: URLSearchParams;
}

export class FakeWebHdfs {
  readonly root: string;
  readonly requests: LoggedRequest[] = [];
  private namenode!: http.Server;
  private datanode!: http.Server;
  port = 0;
  dataPort = 0;

  private constructor(private readonly opts: FakeWebHdfsOptions) {
    this.root = mkdtempSync(join(tmpdir(), 'sluice-webhdfs-'));
  }

  static async start(opts: FakeWebHdfsOptions = {}): Promise<FakeWebHdfs> {
    const f = new FakeWebHdfs(opts);
    f.namenode = http.createServer((req, res) => f.serve('namenode', req, res));
    f.datanode = http.createServer((req, res) => f.serve('datanode', req, res));
    f.port = await listen(f.namenode);
    f.dataPort = await listen(f.datanode);
    return f;
  }

  /** `hdfs://127.0.0.1:<port>` + path: the URI Sluice users would write. */
  uri(path = '/'): string {
    return `hdfs://127.0.0.1:${this.port}${path}`;
  }

  /** Where an HDFS path is stored on the local disk. */
  local(path: string): string {
    return join(this.root, path);
  }

  read(path: string): Buffer {
    return readFileSync(this.local(path));
  }

  count(op: string, server: 'namenode' | 'datanode' = 'namenode'): number {
    return this.requests.filter((r) => r.op === op && r.server === server).length;
  }

  async stop(): Promise<void> {
    for (const s of [this.namenode, this.datanode]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private serve(server: 'namenode' | 'datanode', req: http.IncomingMessage, res: http.ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const url = new URL(req.url ?? '/', 'http://x');
      const prefix = '/webhdfs/v1';
      const op = (url.searchParams.get('op') ?? '').toUpperCase();
      const path = url.pathname.startsWith(prefix)
        ? posix.normalize(decodeURIComponent(url.pathname.slice(prefix.length)) || '/')
        : '';
      const user = url.searchParams.get('user.name') ?? undefined;
      this.requests.push({ server, method: req.method ?? '', op, path, user, bytes: body.length });
      try {
        if (path === '')
          return remote(res, 404, 'FileNotFoundException', `no WebHDFS resource ${url.pathname}`);
        if (server === 'namenode' && user === undefined && this.opts.requireUser !== false) {
          return remote(
            res,
            401,
            'SecurityException',
            'Failed to obtain user group information: no user.name',
          );
        }
        const p: Params = { op, path, query: url.searchParams };
        if (server === 'namenode') this.namenodeOp(req.method ?? '', p, body, res);
        else this.datanodeOp(req.method ?? '', p, body, res);
      } catch (e) {
        remote(res, 500, 'RuntimeException', e instanceof Error ? e.message : String(e));
      }
    });
  }

  private denied(path: string): boolean {
    return (this.opts.denied ?? []).some((d) => path === d || path.startsWith(d.endsWith('/') ? d : `${d}/`));
  }

  private kind(path: string): 'FILE' | 'DIRECTORY' | undefined {
    try {
      return statSync(this.local(path)).isDirectory() ? 'DIRECTORY' : 'FILE';
    } catch {
      return undefined;
    }
  }

  /** The first ancestor (or the path itself) that exists as a file, if any. */
  private fileAncestor(path: string): string | undefined {
    let p = path;
    for (;;) {
      if (this.kind(p) === 'FILE') return p;
      if (p === '/') return undefined;
      p = posix.dirname(p);
    }
  }

  private namenodeOp(method: string, p: Params, body: Buffer, res: http.ServerResponse): Answered {
    const expect = (m: string) => {
      if (method !== m) {
        remote(
          res,
          400,
          'IllegalArgumentException',
          `Invalid value for webhdfs parameter "op": ${p.op} is not a ${method} operation`,
        );
        return false;
      }
      return true;
    };
    const user = p.query.get('user.name') ?? 'dr.who';
    switch (p.op) {
      case 'GETFILESTATUS': {
        if (!expect('GET')) return true;
        const kind = this.kind(p.path);
        if (!kind) return remote(res, 404, 'FileNotFoundException', `File does not exist: ${p.path}`);
        const st = statSync(this.local(p.path));
        return json(res, 200, {
          FileStatus: {
            accessTime: kind === 'FILE' ? st.atimeMs | 0 : 0,
            blockSize: kind === 'FILE' ? 134217728 : 0,
            group: 'supergroup',
            length: kind === 'FILE' ? st.size : 0,
            modificationTime: Math.floor(st.mtimeMs),
            owner: user,
            pathSuffix: '',
            permission: kind === 'FILE' ? '644' : '755',
            replication: kind === 'FILE' ? 3 : 0,
            type: kind,
          },
        });
      }
      case 'MKDIRS': {
        if (!expect('PUT')) return true;
        if (this.denied(p.path)) return accessDenied(res, user, p.path);
        const file = this.fileAncestor(p.path);
        if (file) return remote(res, 403, 'FileAlreadyExistsException', `Path is not a directory: ${file}`);
        mkdirSync(this.local(p.path), { recursive: true });
        return json(res, 200, { boolean: true });
      }
      case 'CREATE':
      case 'APPEND': {
        if (!expect(p.op === 'CREATE' ? 'PUT' : 'POST')) return true;
        if (body.length > 0) {
          return remote(
            res,
            400,
            'IllegalArgumentException',
            `${p.op}: data must be sent to the datanode after the redirect`,
          );
        }
        if (this.denied(p.path)) return accessDenied(res, user, p.path);
        const kind = this.kind(p.path);
        if (p.op === 'CREATE') {
          if (kind === 'DIRECTORY')
            return remote(res, 403, 'FileAlreadyExistsException', `${p.path} already exists as a directory`);
          if (kind === 'FILE' && p.query.get('overwrite') !== 'true') {
            return remote(
              res,
              403,
              'FileAlreadyExistsException',
              `${p.path} for client 127.0.0.1 already exists`,
            );
          }
          const file = this.fileAncestor(posix.dirname(p.path));
          if (file)
            return remote(res, 403, 'ParentNotDirectoryException', `Parent path is not a directory: ${file}`);
        } else if (kind !== 'FILE') {
          return remote(res, 404, 'FileNotFoundException', `File does not exist: ${p.path}`);
        }
        const q = new URLSearchParams(p.query);
        q.set('namenoderpcaddress', 'localhost:8020');
        const location = `http://127.0.0.1:${this.dataPort}/webhdfs/v1${encodeURI(p.path)}?${q.toString()}`;
        res.writeHead(307, { location, 'content-length': '0' });
        res.end();
        return true;
      }
      case 'RENAME': {
        if (!expect('PUT')) return true;
        const dest = p.query.get('destination');
        if (!dest?.startsWith('/')) {
          return remote(
            res,
            400,
            'IllegalArgumentException',
            `Invalid value for webhdfs parameter "destination": ${dest}`,
          );
        }
        if (this.denied(p.path) || this.denied(dest)) return accessDenied(res, user, p.path);
        let to = posix.normalize(dest);
        // HDFS moves a source into an existing destination directory.
        if (this.kind(to) === 'DIRECTORY') to = posix.join(to, posix.basename(p.path));
        const ok =
          this.kind(p.path) !== undefined &&
          this.kind(to) === undefined &&
          this.kind(posix.dirname(to)) === 'DIRECTORY';
        if (ok) renameSync(this.local(p.path), this.local(to));
        return json(res, 200, { boolean: ok });
      }
      default:
        return remote(
          res,
          400,
          'IllegalArgumentException',
          `Invalid value for webhdfs parameter "op": No enum constant ${p.op}`,
        );
    }
  }

  private datanodeOp(method: string, p: Params, body: Buffer, res: http.ServerResponse): Answered {
    if (p.query.get('namenoderpcaddress') === null) {
      return remote(
        res,
        400,
        'IllegalArgumentException',
        'namenoderpcaddress is not set: requests must follow a namenode redirect',
      );
    }
    if (p.op === 'CREATE' && method === 'PUT') {
      const kind = this.kind(p.path);
      if (kind !== undefined && p.query.get('overwrite') !== 'true') {
        return remote(res, 403, 'FileAlreadyExistsException', `${p.path} already exists`);
      }
      mkdirSync(dirname(this.local(p.path)), { recursive: true });
      writeFileSync(this.local(p.path), body);
      res.writeHead(201, { location: `hdfs://127.0.0.1:${this.port}${p.path}`, 'content-length': '0' });
      res.end();
      return true;
    }
    if (p.op === 'APPEND' && method === 'POST') {
      if (this.kind(p.path) !== 'FILE')
        return remote(res, 404, 'FileNotFoundException', `File does not exist: ${p.path}`);
      appendFileSync(this.local(p.path), body);
      res.writeHead(200, { 'content-length': '0' });
      res.end();
      return true;
    }
    return remote(res, 400, 'IllegalArgumentException', `datanode: unexpected ${method} op=${p.op}`);
  }
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function json(res: http.ServerResponse, status: number, value: unknown): Answered {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) });
  res.end(body);
  return true;
}

function remote(res: http.ServerResponse, status: number, exception: string, message: string): Answered {
  return json(res, status, {
    RemoteException: { exception, javaClassName: `org.apache.hadoop.${exception}`, message },
  });
}

function accessDenied(res: http.ServerResponse, user: string, path: string): Answered {
  return remote(
    res,
    403,
    'AccessControlException',
    `Permission denied: user=${user}, access=WRITE, inode="${path}"`,
  );
}
