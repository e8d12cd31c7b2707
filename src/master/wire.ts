import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * The master's control wire: JSON over HTTP/1.1, one request per call, on the heartbeat port (nodes) and
 * the admin port (the shell). docs/master.md lists the requests. Everything a peer sends is bounded
 * before it is read: the body in bytes (a longer one is refused with 413 without being buffered), the
 * headers and the whole request in time, the connections in number; a shared token, when one is set,
 * is checked before the body is read.
 */

export interface ControlServerOptions {
  /** Listening address; 127.0.0.1 unless the operator chose another. */
  host: string;
  port: number;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string | undefined;
  maxBodyBytes: number;
  /** The longest a request may take to arrive (headers and body). */
  requestTimeoutMs: number;
  maxConnections: number;
  logger: Logger;
}

export interface Reply {
  status: number;
  body: unknown;
}

export type Route = (
  method: string,
  path: string,
  body: unknown,
  query: URLSearchParams,
  /** The peer's address (IPv4 without the ::ffff: prefix). */
  peer: string,
) => Promise<Reply>;

export interface ControlServer {
  readonly port: number;
  close(): Promise<void>;
}

export const CONTROL_LIMITS = {
  maxBodyBytes: 4 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  maxConnections: 512,
} as const;

/** Compares tokens in constant time: both sides are hashed first, so lengths leak nothing either. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** `close`: a refused request's connection is not kept (its body may be unread, its peer unwelcome). */
function send(res: ServerResponse, reply: Reply, close = false): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return resolve(undefined);
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > max) {
        req.removeAllListeners('data');
        resolve(undefined);
        return;
      }
      parts.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export async function startControlServer(
  what: string,
  opts: ControlServerOptions,
  route: Route,
): Promise<ControlServer> {
  const server = createServer(async (req, res) => {
    try {
      const auth = req.headers.authorization;
      const given = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (opts.token !== undefined && !tokenMatches(opts.token, given)) {
        opts.logger.warn(`${what}: refused ${req.socket.remoteAddress ?? '?'}: wrong or missing token`);
        send(res, { status: 401, body: { error: 'wrong or missing token' } }, true);
        return;
      }
      const raw = await readBody(req, opts.maxBodyBytes);
      if (raw === undefined) {
        send(res, { status: 413, body: { error: `request body over ${opts.maxBodyBytes} bytes` } }, true);
        return;
      }
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          send(res, { status: 400, body: { error: 'the request body is not JSON' } });
          return;
        }
      }
      const url = new URL(req.url ?? '/', 'http://master');
      const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      send(res, await route(req.method ?? 'GET', url.pathname, body, url.searchParams, peer));
    } catch (e) {
      send(res, { status: 500, body: { error: asSluiceError(e).oneLine() } });
    }
  });
  server.requestTimeout = opts.requestTimeoutMs;
  server.headersTimeout = Math.min(opts.requestTimeoutMs, 10_000);
  server.keepAliveTimeout = 5_000;
  server.maxConnections = opts.maxConnections;
  server.maxHeadersCount = 64;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(asSluiceError(e, 'SLUICE_IO', { component: what, field: `${opts.host}:${opts.port}` })),
    );
    server.listen(opts.port, opts.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface MasterAddress {
  host: string;
  port: number;
  token?: string | undefined;
}

/**
 * Parses `host:port` (a bare host takes `defaultPort`). `localhost` means 127.0.0.1, where the master
 * listens by default: resolved, it may come first as ::1, which nothing answers.
 */
export function parseAddress(text: string, defaultPort: number): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const name = i < 0 ? text : text.slice(0, i);
  const host = name === '' || name === 'localhost' ? '127.0.0.1' : name;
  if (i < 0) return { host, port: defaultPort };
  const port = Number(text.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new SluiceError('SLUICE_CONFIG', `"${text}" is not host:port`);
  return { host, port };
}

const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/** One JSON call to a master; any failure (no answer, a refusal, a timeout) is a SLUICE_RPC error. */
export function callMaster<T>(
  to: MasterAddress,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  const where = `master ${to.host}:${to.port}`;
  return new Promise<T>((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (text !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(text);
    }
    if (to.token !== undefined) headers.authorization = `Bearer ${to.token}`;
    const req = request(
      { host: to.host, port: to.port, method, path, headers, timeout: timeoutMs },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > MAX_REPLY_BYTES) {
            req.destroy(new Error(`reply over ${MAX_REPLY_BYTES} bytes`));
            return;
          }
          parts.push(d);
        });
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(parts).toString('utf8'));
          } catch {
            reject(new SluiceError('SLUICE_RPC', `${where} answered something that is not JSON`));
            return;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed as T);
          else {
            const msg = (parsed as { error?: string } | null)?.error ?? `status ${status}`;
            reject(new SluiceError('SLUICE_RPC', `${where} refused ${path}: ${msg}`));
          }
        });
        res.on('error', (e) => reject(rpcError(where, e)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(rpcError(where, e)));
    req.end(text);
  });
}

function rpcError(where: string, e: Error): SluiceError {
  const code = (e as NodeJS.ErrnoException).code;
  return new SluiceError('SLUICE_RPC', `${where} did not answer: ${code ?? e.message}`, {
    retriable: true,
    cause: e,
  });
}
