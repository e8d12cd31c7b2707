import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { SiteConfig } from '../core/config.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { masterWebAuthority } from '../master/tls.js';
import { readToken } from '../master/token.js';
import type { PipelineHost } from '../node/host.js';
import { type FleetNodeStatus, fleetSnapshot } from '../web/fleet.js';
import { nodeSnapshot, StatusServer, type StatusServerOptions, type WebTls } from '../web/server.js';
import { type OptionSpec, optString, type ParsedArgs, UsageError } from './args.js';

/** The environment variable holding the token of a node's status page (--http-token-file wins). */
export const HTTP_TOKEN_ENV = 'SLUICE_HTTP_TOKEN';

/**
 * The status page options of `sluice node -1` and `sluice agent`: the page and its endpoints are
 * served only when asked, on 127.0.0.1 unless --http-bind says otherwise (they show the node's
 * configuration and figures to whoever can connect).
 */
export const HTTP_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'http',
    flag: true,
    help: 'serve the status page, /metrics, /api/report and /api/v1/health on flume.node.http.port, or the next free port when it is taken',
  },
  {
    name: 'http-port',
    value: 'PORT',
    help: 'serve them on exactly PORT (0: a free port the kernel picks; the log says which)',
  },
  { name: 'http-bind', value: 'ADDRESS', help: 'address the status page listens on', default: '127.0.0.1' },
  {
    name: 'http-tls-key',
    value: 'FILE',
    help: 'PEM key: the status page speaks HTTPS only (with --http-tls-cert)',
  },
  { name: 'http-tls-cert', value: 'FILE', help: 'PEM certificate of the status page, with --http-tls-key' },
  {
    name: 'http-tls-ca',
    value: 'FILE',
    help: 'PEM authority: only clients presenting a certificate it signed get past the TLS handshake, health included (mutual TLS; with --http-tls-key)',
  },
  {
    name: 'http-token-file',
    value: 'FILE',
    help: `every read of data (/metrics, /api/...) needs this token (first line of FILE) as Authorization: Bearer; else $${HTTP_TOKEN_ENV}, else the token of the master a node joined, else none`,
  },
];

/** The web token from `file` (its first line) or else $SLUICE_HTTP_TOKEN; undefined when neither is set. */
export function httpToken(file: string | undefined): string | undefined {
  if (file !== undefined) return readToken(file);
  return process.env[HTTP_TOKEN_ENV] || undefined;
}

/** The master's: its page listens on the master's --bind address, as its other ports do. */
export const MASTER_HTTP_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'http',
    flag: true,
    help: "serve the master's pages (node status, configurations, forms, charts), /metrics, /api/report and /api/v1/health on flume.master.http.port",
  },
  {
    name: 'http-port',
    value: 'PORT',
    help: "serve them on PORT instead (0: a free port the kernel picks); with --tls-key and --tls-cert over HTTPS, and the master's token guards every read of data",
  },
  {
    name: 'http-tls-ca',
    value: 'FILE',
    help: 'PEM authority: only clients presenting a certificate it signed get past the TLS handshake of the web port, health included (mutual TLS; needs --tls-key and --tls-cert; flume.master.http.tls.ca)',
  },
];

function portOption(p: ParsedArgs): number | undefined {
  const v = optString(p, 'http-port');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 65535)
    throw new UsageError(`--http-port must be a port number from 0 to 65535 (got "${v}")`);
  return Number(v);
}

/**
 * Checks the options before anything starts: a bad port is a usage error (status 2). A master's page
 * takes its key and certificate from the master's TLS settings (serveFleetStatus checks those).
 */
export function checkHttpOptions(p: ParsedArgs, of: 'node' | 'master' = 'node'): void {
  portOption(p);
  const serving = p.options.has('http') || p.options.has('http-port');
  for (const opt of ['http-bind', 'http-tls-key', 'http-tls-cert', 'http-tls-ca', 'http-token-file'])
    if (p.options.has(opt) && !serving) throw new UsageError(`--${opt} needs --http or --http-port`);
  if (of === 'master') return;
  const key = p.options.has('http-tls-key');
  if (key !== p.options.has('http-tls-cert'))
    throw new UsageError(
      key ? '--http-tls-key needs --http-tls-cert' : '--http-tls-cert needs --http-tls-key',
    );
  if (p.options.has('http-tls-ca') && !key)
    throw new UsageError('--http-tls-ca needs --http-tls-key and --http-tls-cert');
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw ioError(e, `reading the status page's ${what} ${file}`);
  }
}

/** The status page's key, certificate and client authority, read once at start-up; undefined: plain HTTP. */
function webTls(p: ParsedArgs): WebTls | undefined {
  const key = optString(p, 'http-tls-key');
  const cert = optString(p, 'http-tls-cert');
  if (key === undefined || cert === undefined) return undefined;
  const ca = optString(p, 'http-tls-ca');
  return {
    key: readPem(key, 'TLS key'),
    cert: readPem(cert, 'TLS certificate'),
    ...(ca === undefined ? {} : { ca: readPem(ca, 'TLS client authority') }),
  };
}

/** How the start-up line says what guards the page. */
function guarded(token: string | undefined, tls: WebTls | undefined): string {
  const certificates = tls?.ca === undefined ? '' : '; clients need a certificate from its authority';
  return `${certificates}${token === undefined ? '' : '; reads need the token'}`;
}

/** Starts the node's web server when the command line asks for it, and logs where it listens. */
export async function serveStatus(
  p: ParsedArgs,
  what: {
    host: PipelineHost;
    runs: 'logical-nodes' | 'agent';
    node?: string;
    config: SiteConfig;
    logger: Logger;
    /** The token of the master the node joined: its page's when it has none of its own. */
    masterToken?: string | undefined;
  },
): Promise<StatusServer | undefined> {
  const explicit = portOption(p);
  if (explicit === undefined && !p.options.has('http')) return undefined;
  const { host, runs } = what;
  const node = what.node ?? hostname();
  const tls = webTls(p);
  const token = httpToken(optString(p, 'http-token-file')) ?? what.masterToken;
  const server = await StatusServer.start({
    host: optString(p, 'http-bind') ?? '127.0.0.1',
    port: explicit ?? what.config.getInt('flume.node.http.port'),
    nextFree: explicit === undefined,
    snapshot: () => nodeSnapshot({ node, runs, reports: () => host.reports(), version: () => host.version }),
    tls,
    token,
    logger: what.logger,
  });
  what.logger.info(
    `status page on ${server.url} (metrics at /metrics, health at /api/v1/health${guarded(token, tls)})`,
  );
  return server;
}

/** The master's own pages, routes and control actions (src/master/web.ts builds them). */
export type MasterPages = Pick<
  StatusServerOptions,
  'page' | 'routes' | 'control' | 'everySecond' | 'pages' | 'token'
>;

/**
 * `sluice master --http`: the master's pages and its view of its fleet on flume.master.http.port
 * (35871), or exactly --http-port; on the master's --bind address.
 */
export async function serveFleetStatus(
  p: ParsedArgs,
  what: {
    status: () => readonly FleetNodeStatus[];
    bind: string;
    config: SiteConfig;
    logger: Logger;
    pages?: () => MasterPages;
    /** The master's key and certificate: one for all its ports. */
    tls?: WebTls | undefined;
  },
): Promise<StatusServer | undefined> {
  const explicit = portOption(p);
  if (explicit === undefined && !p.options.has('http')) return undefined;
  const master = `master@${hostname()}`;
  const ca = masterWebAuthority(what.config, optString(p, 'http-tls-ca'));
  if (ca !== undefined && what.tls === undefined)
    throw new SluiceError(
      'SLUICE_CONFIG',
      "client certificates on the master's web port (--http-tls-ca or flume.master.http.tls.ca) need its TLS key and certificate (--tls-key and --tls-cert, or flume.master.tls.key and flume.master.tls.cert)",
    );
  const tls = what.tls && ca !== undefined ? { ...what.tls, ca } : what.tls;
  const pages = what.pages?.();
  const server = await StatusServer.start({
    host: what.bind,
    port: explicit ?? what.config.getInt('flume.master.http.port'),
    nextFree: false,
    snapshot: () => fleetSnapshot(master, what.status()),
    ...pages,
    tls,
    logger: what.logger,
  });
  what.logger.info(
    `status page on ${server.url} (${what.pages ? "the master's pages; " : ''}its nodes' metrics at /metrics, health at /api/v1/health${guarded(pages?.token, tls)})`,
  );
  return server;
}
