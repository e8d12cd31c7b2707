import { hostname } from 'node:os';
import type { SiteConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { PipelineHost } from '../node/host.js';
import { type FleetNodeStatus, fleetSnapshot } from '../web/fleet.js';
import { nodeSnapshot, StatusServer, type StatusServerOptions } from '../web/server.js';
import { type OptionSpec, optString, type ParsedArgs, UsageError } from './args.js';

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
];

/** The master's: its page listens on the master's --bind address, as its other ports do. */
export const MASTER_HTTP_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'http',
    flag: true,
    help: "serve the master's pages (node status, configurations, forms, charts), /metrics, /api/report and /api/v1/health on flume.master.http.port",
  },
  { name: 'http-port', value: 'PORT', help: 'serve them on PORT instead (0: a free port the kernel picks)' },
];

function portOption(p: ParsedArgs): number | undefined {
  const v = optString(p, 'http-port');
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 65535)
    throw new UsageError(`--http-port must be a port number from 0 to 65535 (got "${v}")`);
  return Number(v);
}

/** Checks the options before anything starts: a bad port is a usage error (status 2). */
export function checkHttpOptions(p: ParsedArgs): void {
  portOption(p);
  if (p.options.has('http-bind') && !p.options.has('http') && !p.options.has('http-port'))
    throw new UsageError('--http-bind needs --http or --http-port');
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
  },
): Promise<StatusServer | undefined> {
  const explicit = portOption(p);
  if (explicit === undefined && !p.options.has('http')) return undefined;
  const { host, runs } = what;
  const node = what.node ?? hostname();
  const server = await StatusServer.start({
    host: optString(p, 'http-bind') ?? '127.0.0.1',
    port: explicit ?? what.config.getInt('flume.node.http.port'),
    nextFree: explicit === undefined,
    snapshot: () => nodeSnapshot({ node, runs, reports: () => host.reports(), version: () => host.version }),
  });
  what.logger.info(`status page on ${server.url} (metrics at /metrics, health at /api/v1/health)`);
  return server;
}

/** The master's own pages, routes and control actions (src/master/web.ts builds them). */
export type MasterPages = Pick<StatusServerOptions, 'page' | 'routes' | 'control' | 'everySecond'>;

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
  },
): Promise<StatusServer | undefined> {
  const explicit = portOption(p);
  if (explicit === undefined && !p.options.has('http')) return undefined;
  const master = `master@${hostname()}`;
  const server = await StatusServer.start({
    host: what.bind,
    port: explicit ?? what.config.getInt('flume.master.http.port'),
    nextFree: false,
    snapshot: () => fleetSnapshot(master, what.status()),
    ...what.pages?.(),
  });
  what.logger.info(
    `status page on ${server.url} (${what.pages ? "the master's pages; " : ''}its nodes' metrics at /metrics, health at /api/v1/health)`,
  );
  return server;
}
