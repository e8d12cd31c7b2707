import http from 'node:http';
import https from 'node:https';
import { userInfo } from 'node:os';
import { ioError, SluiceError } from '../../core/errors.js';
import { FileExistsError, type FileSystem, type WritableFile } from './types.js';

/**
 * HDFS through its WebHDFS REST API (Hadoop's documented HTTP interface of the namenode), so no Java
 * client or native library is needed:
 *
 *   PUT  /webhdfs/v1/<path>?op=MKDIRS                       -> 200 {"boolean": true}
 *   PUT  /webhdfs/v1/<path>?op=CREATE&overwrite=false  (no body) -> 307, Location: <datanode URL>
 *   PUT  <datanode URL>  (the bytes)                        -> 201 Created
 *   POST /webhdfs/v1/<path>?op=APPEND                  (no body) -> 307, Location: <datanode URL>
 *   POST <datanode URL>  (the bytes)                        -> 200 OK
 *   PUT  /webhdfs/v1/<path>?op=RENAME&destination=<path>    -> 200 {"boolean": true|false}
 *   GET  /webhdfs/v1/<path>?op=GETFILESTATUS                -> 200 {"FileStatus": {...}} or 404
 *
 * Every namenode request carries `user.name` (simple authentication). Errors come back as JSON
 * `{"RemoteException": {"exception", "javaClassName", "message"}}` with a 4xx/5xx status. The namenode
 * never receives file bytes: they go only to the datanode it redirects to (the reason for the
 * two-step protocol), so step one is sent with an empty body.
 *
 * Files are written in large pieces: bytes are buffered per file and sent when `appendSize` is
 * reached, the first piece with CREATE and the rest with APPEND, the remainder on close. A small file
 * therefore costs one CREATE and one RENAME, and clusters with append disabled still take files
 * smaller than `appendSize`.
 */
export interface WebHdfsOptions {
  host: string;
  /** The namenode's HTTP port (9870 on Hadoop 3, 50070 on Hadoop 2). */
  port: number;
  /** `user.name` of every request; default HADOOP_USER_NAME or the OS user. */
  user?: string;
  /** Bytes buffered per file before they are sent (default 4 MiB). */
  appendSize?: number;
  /** Milliseconds a request may stay without progress (default 60 s). */
  timeoutMs?: number;
  /** Talk HTTPS to the namenode (swebhdfs). */
  secure?: boolean;
}

export const DEFAULT_WEBHDFS_PORT = 9870;

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function defaultHdfsUser(): string {
  const env = process.env.HADOOP_USER_NAME;
  if (env) return env;
  try {
    return userInfo().username;
  } catch {
    return 'sluice';
  }
}

export class WebHdfsFileSystem implements FileSystem {
  readonly scheme = 'hdfs';
  readonly user: string;
  readonly appendSize: number;
  private readonly timeoutMs: number;
  private readonly base: string;
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });

  constructor(private readonly opts: WebHdfsOptions) {
    this.user = opts.user ?? defaultHdfsUser();
    this.appendSize = opts.appendSize ?? 4 << 20;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.base = `${opts.secure ? 'https' : 'http'}://${opts.host}:${opts.port}/webhdfs/v1`;
  }

  uri(path: string): string {
    return `hdfs://${this.opts.host}:${this.opts.port}${path}`;
  }

  private url(path: string, op: string, params: Record<string, string> = {}): string {
    let q = `?op=${op}&user.name=${encodeURIComponent(this.user)}`;
    for (const [k, v] of Object.entries(params)) q += `&${k}=${encodeURIComponent(v)}`;
    return `${this.base}${encodePath(path)}${q}`;
  }

  async create(path: string): Promise<WritableFile> {
    return new WebHdfsFile(this, path);
  }

  async mkdirs(path: string): Promise<void> {
    const res = await this.call('PUT', path, 'MKDIRS');
    if (booleanOf(res) !== true) {
      throw new SluiceError('SLUICE_IO', `cannot create directory ${this.uri(path)}: the namenode refused`, {
        place: { file: this.uri(path) },
      });
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const res = await this.call('PUT', from, 'RENAME', { destination: to });
    if (booleanOf(res) === true) return;
    // HDFS answers a bare false for every refusal; tell the one callers can handle apart.
    if (await this.exists(to)) {
      // A retried request whose first attempt went through: sources are unique temporary names.
      if (!(await this.exists(from))) return;
      throw new FileExistsError(this.uri(to));
    }
    throw new SluiceError('SLUICE_IO', `cannot rename ${this.uri(from)} to ${to}: the namenode refused`, {
      place: { file: this.uri(from) },
    });
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.call('GET', path, 'GETFILESTATUS');
      return true;
    } catch (e) {
      if (e instanceof SluiceError && e.code === 'SLUICE_NOT_FOUND') return false;
      throw e;
    }
  }

  async close(): Promise<void> {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** A one-step operation answered with JSON. */
  private async call(
    method: string,
    path: string,
    op: string,
    params?: Record<string, string>,
  ): Promise<Response> {
    const res = await this.request(method, this.url(path, op, params), op, path);
    if (res.status !== 200) throw this.remoteError(res, op, path);
    return res;
  }

  /**
   * The two-step CREATE or APPEND: ask the namenode without data, follow its 307 to a datanode and
   * send the bytes there.
   */
  async transfer(op: 'CREATE' | 'APPEND', path: string, chunks: Buffer[]): Promise<void> {
    const method = op === 'CREATE' ? 'PUT' : 'POST';
    const first = await this.request(
      method,
      this.url(path, op, op === 'CREATE' ? { overwrite: 'false' } : {}),
      op,
      path,
    );
    if (first.status !== 307) {
      const err = this.remoteError(first, op, path);
      if (op === 'CREATE' && /FileAlreadyExists/.test(err.message)) throw new FileExistsError(this.uri(path));
      throw err;
    }
    const location = first.headers.location;
    if (!location) {
      throw new SluiceError(
        'SLUICE_IO',
        `WebHDFS ${op} ${this.uri(path)}: redirect without a Location header`,
        {
          place: { file: this.uri(path) },
        },
      );
    }
    const target = new URL(location, this.base).toString();
    const second = await this.request(method, target, op, path, chunks);
    const expected = op === 'CREATE' ? 201 : 200;
    if (second.status !== expected && second.status !== 200) throw this.remoteError(second, op, path);
  }

  private remoteError(res: Response, op: string, path: string): SluiceError {
    let detail = `HTTP ${res.status}`;
    try {
      const json = JSON.parse(res.body.toString('utf8')) as {
        RemoteException?: { exception?: string; message?: string };
      };
      const re = json.RemoteException;
      if (re) detail = `${re.exception ?? 'RemoteException'}: ${re.message ?? ''}`.trim();
    } catch {
      const text = res.body.toString('utf8').trim();
      if (text) detail += ` ${text.slice(0, 200)}`;
    }
    const where = this.uri(path);
    return new SluiceError(
      res.status === 404 ? 'SLUICE_NOT_FOUND' : 'SLUICE_IO',
      `WebHDFS ${op} ${where} failed: ${detail}`,
      { place: { file: where }, retriable: res.status >= 500 },
    );
  }

  /**
   * Keep-alive requests without a body are retried once when the pooled connection turns out to have
   * been closed by the server meanwhile (Node's documented `reusedSocket` race); they have no effect
   * before they arrive. Bodies go over a fresh connection each, so data is never sent twice.
   */
  private async request(
    method: string,
    url: string,
    op: string,
    path: string,
    body?: Buffer[],
  ): Promise<Response> {
    try {
      return await this.send(method, url, op, path, body);
    } catch (e) {
      if (!(e instanceof StaleConnection)) throw e;
      return this.send(method, url, op, path, body);
    }
  }

  private send(method: string, url: string, op: string, path: string, body?: Buffer[]): Promise<Response> {
    const secure = url.startsWith('https:');
    const mod = secure ? https : http;
    let length = 0;
    if (body) for (const c of body) length += c.length;
    const where = this.uri(path);
    return new Promise<Response>((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: body ? false : secure ? this.httpsAgent : this.httpAgent,
          headers: {
            'content-length': String(length),
            ...(body ? { 'content-type': 'application/octet-stream' } : {}),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
          );
          res.on('error', (e) => reject(ioError(e, `WebHDFS ${op} ${where}`, { file: where })));
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(
          new SluiceError('SLUICE_IO', `WebHDFS ${op} ${where}: no answer within ${this.timeoutMs} ms`, {
            place: { file: where },
            retriable: true,
          }),
        );
      });
      req.on('error', (e) => {
        const code = (e as NodeJS.ErrnoException).code;
        if (!body && req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE'))
          reject(new StaleConnection());
        else reject(ioError(e, `WebHDFS ${op} ${where}`, { file: where }));
      });
      if (body) for (const c of body) req.write(c);
      req.end();
    });
  }
}

class StaleConnection extends Error {}

function booleanOf(res: Response): boolean | undefined {
  try {
    const v = (JSON.parse(res.body.toString('utf8')) as { boolean?: unknown }).boolean;
    return typeof v === 'boolean' ? v : undefined;
  } catch {
    return undefined;
  }
}

function encodePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/**
 * Buffers up to `appendSize` bytes, then sends them while the next piece fills: the caller waits only
 * when a piece is full and the previous one is still on the wire.
 */
class WebHdfsFile implements WritableFile {
  bytesWritten = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private created = false;
  private sending: Promise<void> | undefined;
  private failed: SluiceError | undefined;
  private closed = false;

  constructor(
    private readonly fs: WebHdfsFileSystem,
    readonly path: string,
  ) {}

  write(chunk: Buffer): void | Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed)
      return Promise.reject(new SluiceError('SLUICE_CLOSED', `write to closed file ${this.path}`));
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.bytesWritten += chunk.length;
    if (this.buffered < this.fs.appendSize) return;
    const previous = this.sending;
    this.sendBuffered();
    return previous;
  }

  private sendBuffered(): Promise<void> {
    const chunks = this.chunks;
    this.chunks = [];
    this.buffered = 0;
    const p = (this.sending ?? Promise.resolve()).then(() => this.send(chunks));
    this.sending = p;
    p.then(
      () => {
        if (this.sending === p) this.sending = undefined;
      },
      (e: unknown) => {
        this.failed ??= e instanceof SluiceError ? e : new SluiceError('SLUICE_IO', String(e));
      },
    );
    return p;
  }

  private async send(chunks: Buffer[]): Promise<void> {
    if (this.created) {
      await this.fs.transfer('APPEND', this.path, chunks);
    } else {
      await this.fs.transfer('CREATE', this.path, chunks);
      this.created = true;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.failed) throw this.failed;
    // An empty file still has to exist: send CREATE even with nothing buffered.
    if (this.buffered > 0 || (!this.created && !this.sending)) await this.sendBuffered();
    else if (this.sending) await this.sending;
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.chunks = [];
    if (this.sending) await this.sending.catch(() => {});
  }
}
