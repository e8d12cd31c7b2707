import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { PipelineReport } from '../flow/report.js';
import { DEFAULT_HEALTH_RULE, type HealthRule, HealthWatch } from './health.js';
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
}

/** How many ports after a taken one are tried before giving up. */
const NEXT_FREE_TRIES = 100;

/**
 * The web server of a node or a master: the status page `/`, `/metrics` (Prometheus), `/api/report`
 * (JSON) and `/api/v1/health`. It only reads: nothing it answers changes the node, and no request body
 * is read. docs/web.md describes the endpoints.
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
    this.timer = setInterval(() => this.health.observe(opts.snapshot().pipelines), 1000);
    this.timer.unref();
  }

  static async start(opts: StatusServerOptions): Promise<StatusServer> {
    let holder: StatusServer | undefined;
    const server = createServer((req, res) => {
      if (holder) holder.answer(req, res);
      else reply(res, 503, 'text/plain; charset=utf-8', 'starting\n');
    });
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    server.maxConnections = 64;
    server.maxHeadersCount = 64;
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
    return `http://${h.includes(':') ? `[${h}]` : h}:${this.port}/`;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        reply(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n');
        return;
      }
      const path = new URL(req.url ?? '/', 'http://node').pathname;
      switch (path) {
        case '/':
        case '/index.html':
          reply(res, 200, 'text/html; charset=utf-8', NODE_PAGE);
          return;
        case '/metrics':
          reply(res, 200, PROMETHEUS_CONTENT_TYPE, prometheusText(this.opts.snapshot()));
          return;
        case '/api/report':
          json(res, 200, this.opts.snapshot());
          return;
        case '/api/v1/health': {
          const h = this.health.check(this.opts.snapshot().pipelines);
          json(res, h.healthy ? 200 : 500, { status: h.healthy ? 'ok' : 'error', ...h });
          return;
        }
        default:
          json(res, 404, { error: `no such page: ${path}` });
      }
    } catch (e) {
      json(res, 500, { error: asSluiceError(e).oneLine() });
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

function reply(res: ServerResponse, status: number, type: string, text: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  reply(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a node's or master's `/api/report` (for `sluice top`); any failure is a SLUICE_RPC error naming
 * the address. node:http rather than fetch: fetch refuses ports the browsers block (6000, 6665...).
 */
export function fetchSnapshot(base: string, timeoutMs = 5_000): Promise<NodeSnapshot> {
  const url = new URL('/api/report', base);
  const fail = (why: string) => new SluiceError('SLUICE_RPC', `${url.host} ${why}`, { retriable: true });
  return new Promise<NodeSnapshot>((resolve, reject) => {
    const req = get(url, { timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_REPORT_BYTES) req.destroy(new Error(`reply over ${MAX_REPORT_BYTES} bytes`));
        else parts.push(d);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(fail(`answered ${res.statusCode} to /api/report`));
        try {
          resolve(JSON.parse(Buffer.concat(parts).toString('utf8')) as NodeSnapshot);
        } catch {
          reject(fail('answered /api/report with something that is not JSON'));
        }
      });
      res.on('error', (e) => reject(fail(`did not answer: ${e.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(fail(`did not answer: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
  });
}
