import { hostname } from 'node:os';
import type { SiteConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { PipelineHost } from '../node/host.js';
import { NodeWebServer } from '../web/server.js';
import type { NodeSnapshot } from '../web/snapshot.js';
import type { OptionSpec } from './args.js';
import { optString, type ParsedArgs, UsageError } from './args.js';

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
  what: { host: PipelineHost; runs: NodeSnapshot['runs']; node?: string; config: SiteConfig; logger: Logger },
): Promise<NodeWebServer | undefined> {
  const explicit = portOption(p);
  if (explicit === undefined && !p.options.has('http')) return undefined;
  const server = await NodeWebServer.start({
    host: optString(p, 'http-bind') ?? '127.0.0.1',
    port: explicit ?? what.config.getInt('flume.node.http.port'),
    nextFree: explicit === undefined,
    node: what.node ?? hostname(),
    runs: what.runs,
    reports: () => what.host.reports(),
    version: () => what.host.version,
    logger: what.logger,
  });
  what.logger.info(`status page on ${server.url} (metrics at /metrics, health at /api/v1/health)`);
  return server;
}
