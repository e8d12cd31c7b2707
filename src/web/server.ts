import {
  createServer,
  get as httpGet,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, get as httpsGet } from 'node:https';
import { type AddressInfo, isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { PipelineReport } from '../flow/report.js';
import { PeerNotices } from '../rpc/peer-notices.js';
import { onHandshakeRefused, serverTlsOptions } from '../rpc/tls.js';
import { DEFAULT_HEALTH_RULE, type HealthRule, HealthWatch } from './health.js';
import { readBoundedBody, tokenMatches } from './http-guards.js';
import { NODE_PAGE } from './node-page.js';
import { processFigures } from './process-figures.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from './prometheus.js';
import type { NodeSnapshot } from './snapshot.js';

export interface StatusServerOptions {
  /** Listening address: 127.0.0.1 unless the operator chose another. */
  host: string;
  /** 0: a port the kernel picks. */
  port: number;
  /** When the port is taken, try the next ones (Flume's node status page takes 35862 and up). */
  nextFree: boolean;
  /** What is served: a node's own pipelines, or a master's view of its fleet. */
  snapshot(): NodeSnapshot;
  health?: HealthRule;
  /** The document served at `/` (default: the node page). */
  page?: string | undefined;
  /** More GET routes by exact path (the master's pages and their JSON); the built-in ones come first. */
  routes?: ReadonlyMap<string, GetRoute> | undefined;
  /** Paths that take a POST (the master's control actions); without it only GET and HEAD are answered. */
  control?: ControlRoutes | undefined;
  /** Called once a second with the health sampling (a master's throughput history). */
  everySecond?: (() => void) | undefined;
  /** Connections held at once (default 1024). */
  maxConnections?: number | undefined;
  /** PEM key and certificate: the port then speaks HTTPS only. */
  tls?: WebTls | undefined;
  /** Where refused TLS handshakes are told, once per peer. */
  logger?: Logger | undefined;
  /**
   * The token every read of data needs (`Authorization: Bearer TOKEN`); the pages and `/assets/*` load
   * without it so that they can ask for it, and `/api/v1/health` answers only ok or error without it.
   */
  token?: string | undefined;
  /** More GET routes that are static pages (served without the token), beside `/` and `/assets/*`. */
  pages?: ReadonlySet<string> | undefined;
  /** How long a connection may stay silent before its first request (default 3000 ms). */
  firstRequestTimeoutMs?: number | undefined;
}

/** An answer of a GET route: `body` is sent as it is (JSON routes stringify their own). */
export interface WebReply {
  status: number;
  type: string;
  body: string | Buffer;
  /** Overrides the default `cache-control: no-store` (static assets may be cached). */
  cacheControl?: string;
}

export type GetRoute = (url: URL) => WebReply | Promise<WebReply>;

/** A control action: the parsed JSON body in, a status and a JSON body out. */
export type PostRoute = (body: unknown) => Promise<{ status: number; body: unknown }>;

export interface ControlRoutes {
  routes: ReadonlyMap<string, PostRoute>;
  /**
   * Checks the `Authorization` header (the master's token, compared in constant time); absent: no
   * token is set and every POST that passes the other checks is taken.
   */
  authorize?: ((authorization: string | undefined) => boolean) | undefined;
}

/**
 * The request header every control POST carries. A cross-site HTML form cannot set a header, and a
 * cross-site script that does triggers a CORS preflight this server never grants.
 */
export const CONTROL_HEADER = 'x-sluice-request';

/** Largest control body read; a longer one is refused with 413 before it is buffered. */
export const MAX_CONTROL_BODY_BYTES = 64 * 1024;

/** The key and certificate of an HTTPS web port (PEM). */
export interface WebTls {
  key: Buffer | string;
  cert: Buffer | string;
  /**
   * Mutual TLS: every client presents a certificate this authority signed, or its handshake fails
   * before any request of it is read (the token, when set, is still asked for on top).
   */
  ca?: Buffer | string | undefined;
}

export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_FIRST_REQUEST_TIMEOUT_MS = 3000;

export const jsonReply = (status: number, body: unknown): WebReply => ({
  status,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(body),
});

/** How many ports after a taken one are tried before giving up. */
const NEXT_FREE_TRIES = 100;

/**
 * The web server of a node or a master: the status page `/`, `/metrics` (Prometheus), `/api/report`
 * (JSON) and `/api/v1/health`, and the routes a master adds. A node's only reads: nothing it answers
 * changes the node, and no request body is read. Only the `control` paths take a POST, each checked
 * (header, origin, token, size) before its body is read. docs/web.md describes the endpoints.
 */
export class StatusServer {
  private readonly health: HealthWatch;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly opts: StatusServerOptions,
  ) {
    this.health = new HealthWatch(opts.health ?? DEFAULT_HEALTH_RULE);
    // Health counts errors within a period: sample each second even when nobody asks.
    this.timer = setInterval(() => {
      this.health.observe(opts.snapshot().pipelines);
      try {
        opts.everySecond?.();
      } catch {
        // A page's sampling must not take the process down; its own reads report what is wrong.
      }
    }, 1000);
    this.timer.unref();
  }

  static async start(opts: StatusServerOptions): Promise<StatusServer> {
    let holder: StatusServer | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      if (holder) holder.answer(req, res);
      else reply(res, 503, 'text/plain; charset=utf-8', 'starting\n');
    };
    const silent = opts.firstRequestTimeoutMs ?? DEFAULT_FIRST_REQUEST_TIMEOUT_MS;
    const server: Server = opts.tls
      ? httpsServer(opts.tls, silent, handler, opts.logger)
      : createServer(handler);
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    server.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.maxHeadersCount = 64;
    // A client that connects and says nothing would hold its connection until the header timeout (and
    // Node checks that only every few seconds); enough of them would lock everyone out. A silent
    // connection is closed soon instead; once a request arrives, the request timeouts above apply.
    // Over TLS the HTTP parser reads the decrypted socket: its timeout is the one that closes.
    server.on(opts.tls ? 'secureConnection' : 'connection', (socket: Socket | TLSSocket) => {
      socket.setTimeout(silent);
    });
    server.on('request', (req: IncomingMessage) => {
      req.socket.setTimeout(0);
    });
    const tries = opts.nextFree && opts.port !== 0 ? NEXT_FREE_TRIES : 1;
    let port = opts.port;
    for (let i = 0; ; i++) {
      try {
        await listen(server, opts.host, port);
        break;
      } catch (e) {
        const taken = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!taken || i + 1 >= tries || port >= 65535)
          throw asSluiceError(e, 'SLUICE_IO', { component: 'status page', field: `${opts.host}:${port}` });
        port++;
      }
    }
    const bound = (server.address() as AddressInfo).port;
    holder = new StatusServer(server, bound, opts);
    return holder;
  }

  /** The address to print: a wildcard bind is reached through loopback. */
  get url(): string {
    const h = this.opts.host === '0.0.0.0' || this.opts.host === '::' ? '127.0.0.1' : this.opts.host;
    return `${this.opts.tls ? 'https' : 'http'}://${h.includes(':') ? `[${h}]` : h}:${this.port}/`;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://node').pathname;
    } catch {
      json(res, 400, { error: 'a request names a path' });
      return;
    }
    const post = this.opts.control?.routes.get(path);
    if (req.method === 'POST' && post !== undefined) {
      void this.control(req, res, post);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', post !== undefined ? 'POST' : 'GET, HEAD');
      reply(
        res,
        405,
        'text/plain; charset=utf-8',
        post !== undefined ? 'only POST\n' : 'only GET and HEAD\n',
      );
      return;
    }
    this.read(req, res, path).catch((e: unknown) => json(res, 500, { error: asSluiceError(e).oneLine() }));
  }

  /** Whether a read may return data: no token is set, or the request carries it. */
  private authorized(req: IncomingMessage): boolean {
    const token = this.opts.token;
    if (token === undefined) return true;
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') === true && tokenMatches(token, header.slice(7).trim());
  }

  private async read(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    switch (path) {
      case '/':
      case '/index.html':
        reply(res, 200, 'text/html; charset=utf-8', this.opts.page ?? NODE_PAGE);
        return;
      case '/api/v1/health': {
        const h = this.health.check(this.opts.snapshot().pipelines);
        const status = h.healthy ? 'ok' : 'error';
        // Load balancers probe without the token: they get the verdict, not the reasons.
        json(res, h.healthy ? 200 : 500, this.authorized(req) ? { status, ...h } : { status });
        return;
      }
    }
    const open = path.startsWith('/assets/') || this.opts.pages?.has(path) === true;
    if (!open && !this.authorized(req)) {
      res.setHeader('www-authenticate', 'Bearer realm="sluice"');
      json(res, 401, { error: 'wrong or missing token: send Authorization: Bearer <the token>' });
      return;
    }
    switch (path) {
      case '/metrics':
        reply(res, 200, PROMETHEUS_CONTENT_TYPE, prometheusText(this.opts.snapshot()));
        return;
      case '/api/report':
        json(res, 200, this.opts.snapshot());
        return;
    }
    const route = this.opts.routes?.get(path);
    if (route === undefined) {
      json(res, 404, { error: `no such page: ${path}` });
      return;
    }
    const r = await route(new URL(req.url ?? '/', 'http://node'));
    reply(res, r.status, r.type, r.body, r.cacheControl);
  }

  /**
   * A control POST, refused before its body is read unless it carries the control header, comes from
   * this page's own origin, holds the token when one is set and declares a JSON body within the bound.
   */
  private async control(req: IncomingMessage, res: ServerResponse, route: PostRoute): Promise<void> {
    const refuse = (status: number, error: string, headers: Record<string, string> = {}) => {
      // The body may be unread: the connection is not kept for another request.
      res.setHeader('connection', 'close');
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      json(res, status, { error });
    };
    try {
      const why = crossSite(req, this.opts.host);
      if (why !== undefined) return refuse(403, why);
      const authorize = this.opts.control?.authorize;
      if (authorize !== undefined && !authorize(req.headers.authorization))
        return refuse(401, 'wrong or missing token: send Authorization: Bearer <the master token>', {
          'www-authenticate': 'Bearer realm="sluice master"',
        });
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? ''))
        return refuse(415, 'a control request is a JSON body (content-type: application/json)');
      const text = (await readBoundedBody(req, MAX_CONTROL_BODY_BYTES))?.toString('utf8');
      if (text === undefined)
        return refuse(413, `a control request is at most ${MAX_CONTROL_BODY_BYTES} bytes`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return refuse(400, 'the body is not JSON');
      }
      const r = await route(body);
      json(res, r.status, r.body);
    } catch (e) {
      if (!res.headersSent) json(res, 500, { error: asSluiceError(e).oneLine() });
      else res.destroy();
    }
  }

  close(): Promise<void> {
    clearInterval(this.timer);
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** A node's snapshot: its host's reports and version, with this process's figures. */
export function nodeSnapshot(what: {
  node: string;
  runs: 'logical-nodes' | 'agent';
  reports(): PipelineReport[];
  version(): number;
}): NodeSnapshot {
  return {
    node: what.node,
    runs: what.runs,
    version: what.version(),
    time: Date.now(),
    process: processFigures(),
    pipelines: what.reports(),
  };
}

/**
 * The HTTPS server of a web port; with an authority it asks every client for a certificate signed by it.
 * A refused handshake (no certificate, another authority's, a plain-HTTP client, a handshake not done in
 * time) is logged once per peer: a scraper configured wrongly retries in a loop.
 */
function httpsServer(
  tls: WebTls,
  handshakeTimeout: number,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  logger: Logger | undefined,
): Server {
  const server = createHttpsServer(
    {
      ...serverTlsOptions({ ...tls, requestCert: tls.ca !== undefined }),
      // A TLS client that never finishes its handshake is dropped as soon as a silent plain one.
      handshakeTimeout,
    },
    handler,
  );
  const notices = new PeerNotices(logger);
  onHandshakeRefused(server, (peer, reason) => {
    // A client that leaves during the handshake (a TCP probe) was not refused.
    if (/socket hang up|ECONNRESET/.test(reason)) return;
    // OpenSSL's reason ("peer did not return a certificate") without its codes and source lines.
    const why = /:SSL routines:[^:]*:([^:]+)/.exec(reason)?.[1] ?? reason;
    notices.once(
      peer,
      why,
      () =>
        `status page: refused ${peer} at the TLS handshake: ${why}; further ones of ${peer} are not logged`,
    );
  });
  return server;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Why a control request may not be from this page: no control header, an Origin (or a browser's
 * Sec-Fetch-Site) naming another site, or, on a loopback address, a Host that is a name other than
 * localhost (a DNS-rebinding page: its origin and host match, but they name the attacker's domain).
 */
function crossSite(req: IncomingMessage, bind: string): string | undefined {
  if (req.headers[CONTROL_HEADER] === undefined)
    return `a control request carries the ${CONTROL_HEADER} header`;
  const host = req.headers.host ?? '';
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`)
    return `the request comes from ${origin}, not from this page (${host})`;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `the request comes from another site (sec-fetch-site: ${site})`;
  if (isLoopback(bind)) {
    const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (!isIP(name) && name !== 'localhost')
      return `the page on ${bind} answers control requests to an address or localhost, not ${name}`;
  }
  return undefined;
}

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\./.test(address);
}

const FRAME_DENIED = { 'content-security-policy': "frame-ancestors 'none'", 'x-frame-options': 'DENY' };

function reply(
  res: ServerResponse,
  status: number,
  type: string,
  text: string | Buffer,
  cacheControl = 'no-store',
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': cacheControl,
    'x-content-type-options': 'nosniff',
    // No other site may frame a page (its forms would be clicked through a disguise).
    ...(type.startsWith('text/html') ? FRAME_DENIED : {}),
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  reply(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

const MAX_REPORT_BYTES = 64 * 1024 * 1024;

export interface FetchOptions {
  timeoutMs?: number;
  /** PEM authority trusted for an https URL (a self-signed certificate); default: the system's. */
  ca?: Buffer | undefined;
  /** A client certificate and its key (PEM), for a page that asks for one (mutual TLS). */
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  /** Sent as `Authorization: Bearer TOKEN`. */
  token?: string | undefined;
}

/**
 * What to do about an answer or error of a web port, for the one-line message of `sluice top`. A page
 * asking for client certificates refuses a client without one with an alert (certificate required in
 * TLS 1.3, handshake failure in 1.2); one from another authority it just closes.
 */
function hint(
  code: string | number | undefined,
  message: string,
  how: { https: boolean; clientCert: boolean },
): string {
  if (code === 401) return ' (it wants a token: --token-file FILE)';
  if (how.https && !how.clientCert) {
    if (/CERTIFICATE_REQUIRED/.test(String(code)) || /alert handshake failure/.test(message))
      return ' (it asks for a client certificate: give one with --cert FILE --key FILE)';
    if (code === 'ECONNRESET')
      return ' (if it asks for client certificates: give one with --cert FILE --key FILE)';
  }
  if (how.https && how.clientCert && (code === 'ECONNRESET' || /ALERT/.test(String(code))))
    return ' (it may refuse the client certificate: is --cert signed by the authority it trusts?)';
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
    return ' (trust its certificate with --ca FILE)';
  if (code === 'ECONNRESET' || code === 'EPROTO') return ' (is it HTTPS? give https://HOST:PORT)';
  return '';
}

/**
 * Reads a node's or master's `/api/report` (for `sluice top`), over HTTPS for an https URL; any failure
 * is a SLUICE_RPC error naming the address. node:http rather than fetch: fetch refuses ports the
 * browsers block (6000, 6665...).
 */
export function fetchSnapshot(base: string, opts: FetchOptions = {}): Promise<NodeSnapshot> {
  const url = new URL('/api/report', base);
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const fail = (why: string) => new SluiceError('SLUICE_RPC', `${url.host} ${why}`, { retriable: true });
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const https = url.protocol === 'https:';
  const get = https ? httpsGet : httpGet;
  const how = { https, clientCert: opts.cert !== undefined };
  const tls = https ? { ca: opts.ca, cert: opts.cert, key: opts.key } : {};
  return new Promise<NodeSnapshot>((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs, headers, ...tls }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_REPORT_BYTES) req.destroy(new Error(`reply over ${MAX_REPORT_BYTES} bytes`));
        else parts.push(d);
      });
      res.on('end', () => {
        if (res.statusCode !== 200)
          return reject(fail(`answered ${res.statusCode} to /api/report${hint(res.statusCode, '', how)}`));
        try {
          resolve(JSON.parse(Buffer.concat(parts).toString('utf8')) as NodeSnapshot);
        } catch {
          reject(fail('answered /api/report with something that is not JSON'));
        }
      });
      res.on('error', (e) => reject(fail(`did not answer: ${e.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      reject(fail(`did not answer: ${code ?? e.message}${hint(code, e.message, how)}`));
    });
  });
}
