import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, request as tlsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { isCertificateError } from '../rpc/tls.js';
import { readBoundedBody, tokenMatches } from '../web/http-guards.js';

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
  /**
   * Requests handled at once; one more is answered 503 with Retry-After before its body is read, so a
   * master under load spends nothing on the work it cannot do (none: no limit).
   */
  maxInFlight?: number | undefined;
  /** How long a refused peer is told to wait; the client adds its own jitter. */
  retryAfterMs?: number | undefined;
  /**
   * How long a connection may wait idle for its next request (default 5 s). The heartbeat port keeps a
   * node's connection from one heartbeat to the next (no TCP connect and handshake per heartbeat), so
   * its idle time is longer than a heartbeat period.
   */
  idleTimeoutMs?: number | undefined;
  /**
   * Connections kept open after a reply: once more are open, a reply closes its connection, so idle
   * connections never crowd out `maxConnections` (default: all of them; 0: every reply closes).
   */
  keepAliveConnections?: number | undefined;
  /** PEM key and certificate: the port speaks HTTPS only (a plain-text request fails its handshake). */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  logger: Logger;
}

export interface Reply {
  status: number;
  body: unknown;
}

/** A master that answered 503 or 429: alive but loaded; the same call may be made after `retryAfterMs`. */
export class MasterBusy extends SluiceError {
  constructor(
    where: string,
    readonly retryAfterMs: number,
  ) {
    super('SLUICE_RPC', `${where} is busy: come back in ${retryAfterMs} ms`);
  }
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
  /** Connections accepted since the start, and open now. */
  connections(): { accepted: number; open: number };
  close(): Promise<void>;
}

export const CONTROL_LIMITS = {
  maxBodyBytes: 4 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  maxConnections: 512,
} as const;

/** `close`: a refused request's connection is not kept (its body may be unread, its peer unwelcome). */
function send(res: ServerResponse, reply: Reply, close = false, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
    ...extra,
  });
  res.end(text);
}

const NO_QUERY = new URLSearchParams();

export async function startControlServer(
  what: string,
  opts: ControlServerOptions,
  route: Route,
): Promise<ControlServer> {
  let inFlight = 0;
  let shedding = false;
  /** Connections open now: over `keepAliveConnections`, replies close theirs. */
  let open = 0;
  let accepted = 0;
  const keepAlive = opts.keepAliveConnections ?? opts.maxConnections;
  const retryAfterMs = opts.retryAfterMs ?? 1_000;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (opts.maxInFlight !== undefined && inFlight >= opts.maxInFlight) {
      if (!shedding) {
        shedding = true;
        opts.logger.warn(
          `${what}: ${inFlight} requests in hand (the limit); telling peers to come back in ${retryAfterMs} ms`,
        );
      }
      // HTTP's Retry-After counts whole seconds; the body gives the milliseconds a node waits.
      send(res, { status: 503, body: { error: 'the master is busy', retryAfterMs } }, true, {
        'retry-after': String(Math.ceil(retryAfterMs / 1000)),
      });
      return;
    }
    if (shedding && inFlight === 0) {
      shedding = false;
      opts.logger.info(`${what}: no longer over its limit of ${opts.maxInFlight} requests`);
    }
    inFlight++;
    try {
      await serve(req, res);
    } finally {
      inFlight--;
    }
  };
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const auth = req.headers.authorization;
      const given = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      if (opts.token !== undefined && !tokenMatches(opts.token, given)) {
        opts.logger.warn(`${what}: refused ${req.socket.remoteAddress ?? '?'}: wrong or missing token`);
        send(res, { status: 401, body: { error: 'wrong or missing token' } }, true);
        return;
      }
      const raw = await readBoundedBody(req, opts.maxBodyBytes);
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
      // A heartbeat has no query: a URL object is made only for a request that has one.
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const url = q < 0 ? undefined : new URL(target, 'http://master');
      const path = url?.pathname ?? target;
      const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      send(
        res,
        await route(req.method ?? 'GET', path, body, url?.searchParams ?? NO_QUERY, peer),
        open > keepAlive,
      );
    } catch (e) {
      send(res, { status: 500, body: { error: asSluiceError(e).oneLine() } });
    }
  };
  const server = opts.tls
    ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, handle)
    : createServer(handle);
  if (opts.tls)
    server.on('tlsClientError', (e: Error, s: { remoteAddress?: string }) =>
      opts.logger.warn(`${what}: refused ${s.remoteAddress ?? '?'}: ${e.message}`),
    );
  server.on('connection', (socket: Socket) => {
    open++;
    accepted++;
    socket.once('close', () => open--);
  });
  server.requestTimeout = opts.requestTimeoutMs;
  server.headersTimeout = Math.min(opts.requestTimeoutMs, 10_000);
  server.keepAliveTimeout = opts.idleTimeoutMs ?? 5_000;
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
    connections: () => ({ accepted, open }),
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
  /** Set: the master speaks HTTPS; its certificate is checked against `ca` (else the system's). */
  tls?: MasterTls | undefined;
}

export interface MasterTls {
  /** PEM of the authority (or the self-signed certificate) the master's certificate must chain to. */
  ca?: string | Buffer | undefined;
  /** false: accept any certificate (tests and trials only: anyone in the middle can read the token). */
  rejectUnauthorized?: boolean | undefined;
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

/**
 * Plain-HTTP calls keep their connection for the next call: a node's heartbeats reuse one. The master
 * says how long it keeps an idle connection (Keep-Alive: timeout) and the agent lets go a second
 * before that; the long timeout here only lets that hint rule. The sockets do not hold a process open.
 */
const keepAliveAgent = new Agent({ keepAlive: true, timeout: 60_000, scheduling: 'lifo' });

/**
 * One JSON call to a master; any failure (no answer, a refusal, a timeout) is a SLUICE_RPC error. A
 * kept connection the master closed just as the call went out (ECONNRESET before any answer) is not a
 * failure of the master: the call is made once more, on a new connection.
 */
export async function callMaster<T>(
  to: MasterAddress,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  try {
    return await callOnce<T>(to, method, path, body, timeoutMs);
  } catch (e) {
    if (!(e instanceof StaleConnection)) throw e;
    return callOnce<T>(to, method, path, body, timeoutMs, false);
  }
}

/** A reused connection reset before the answer began. */
class StaleConnection extends Error {}

function callOnce<T>(
  to: MasterAddress,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  timeoutMs: number,
  reuse = true,
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
    const target = {
      host: to.host,
      port: to.port,
      method,
      path,
      headers,
      timeout: timeoutMs,
      agent: reuse ? keepAliveAgent : false,
    };
    const req = (to.tls ? tlsRequest : request)(
      to.tls
        ? {
            ...target,
            ca: to.tls.ca,
            rejectUnauthorized: to.tls.rejectUnauthorized ?? true,
            // Never kept: each call is its own handshake, so a changed CA file takes effect at once.
            agent: false,
          }
        : target,
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
          else if (status === 503 || status === 429)
            reject(new MasterBusy(where, retryAfter(parsed, res.headers['retry-after'])));
          else {
            const msg = (parsed as { error?: string } | null)?.error ?? `status ${status}`;
            reject(new SluiceError('SLUICE_RPC', `${where} refused ${path}: ${msg}`));
          }
        });
        res.on('error', (e) => reject(rpcError(where, e)));
      },
    );
    let answered = false;
    req.on('response', () => {
      answered = true;
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      if (req.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE'))
        reject(new StaleConnection(code));
      else reject(rpcError(where, e));
    });
    req.end(text);
  });
}

/** The wait a busy master asked for: the body's milliseconds, else the header's seconds, else a second. */
function retryAfter(body: unknown, header: string | undefined): number {
  const ms = (body as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  if (typeof ms === 'number' && ms >= 0 && ms <= 3_600_000) return ms;
  const s = Number(header);
  return Number.isFinite(s) && s >= 0 && s <= 3_600 ? s * 1000 : 1_000;
}

function rpcError(where: string, e: Error): SluiceError {
  const code = (e as NodeJS.ErrnoException).code;
  // An answer this side does not trust is no dead master: moving on would only hide the setting.
  if (isCertificateError(e))
    return new SluiceError(
      'SLUICE_RPC',
      `${where}: its TLS certificate is not trusted (${e.message}); give its authority with --tls-ca or flume.master.tls.ca`,
      { cause: e },
    );
  return new SluiceError('SLUICE_RPC', `${where} did not answer: ${code ?? e.message}`, {
    retriable: true,
    cause: e,
  });
}
