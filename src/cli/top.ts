import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { asSluiceError, ioError } from '../core/errors.js';
import { type FetchOptions, fetchSnapshot } from '../web/server.js';
import type { NodeSnapshot } from '../web/snapshot.js';
import { renderTop, topRows } from '../web/top-table.js';
import { optString, UsageError } from './args.js';
import type { Command } from './command.js';
import { HTTP_TOKEN_ENV, httpToken } from './http-options.js';

const DEFAULT_ADDRESS = '127.0.0.1:35862';

/** `host:port`, `:port`, `port` or a URL, to the base URL of a node's web server. */
export function nodeUrl(text: string): string {
  if (/^https?:\/\//.test(text)) return text;
  const m = /^(.*?):?(\d+)$/.exec(text);
  if (!m) throw new UsageError(`"${text}" is not host:port`);
  const host = m[1] === '' || m[1] === 'localhost' ? '127.0.0.1' : m[1]!;
  return `http://${host.includes(':') ? `[${host}]` : host}:${m[2]}/`;
}

/** The PEM file `file` names, read once at start; undefined when not given. */
function pem(file: string | undefined, what: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw ioError(e, `reading the ${what} ${file}`);
  }
}

/** `sluice top [HOST:PORT]`: a node's components, refreshed each second, read from /api/report. */
export const topCommand: Command = {
  name: 'top',
  synopsis:
    '[HOST:PORT | URL] [--once] [--interval MS] [--ca FILE] [--cert FILE --key FILE] [--token-file FILE]',
  description: [
    "Shows a running node's components (sluice node or sluice agent started with --http or --http-port;",
    "sluice master --http for the fleet's), as vector top does: events and bytes in, events out and",
    'errors, each as a total and a rate per second, refreshed every second until Ctrl-C. --once waits',
    'one interval, prints one table and exits (for scripts). The default address is 127.0.0.1:35862',
    '(flume.node.http.port). A page served over HTTPS is given as https://HOST:PORT; one that asks for',
    'client certificates (--http-tls-ca) is read with --cert and --key.',
  ].join('\n'),
  options: [
    { name: 'once', flag: true, help: 'print one table (rates over one interval) and exit' },
    {
      name: 'interval',
      value: 'MS',
      positiveInt: true,
      default: '1000',
      help: 'milliseconds between two readings',
    },
    {
      name: 'ca',
      value: 'FILE',
      help: "PEM authority to trust for an https URL (a self-signed certificate); default: the system's",
    },
    {
      name: 'cert',
      value: 'FILE',
      help: 'PEM client certificate to present, for a page that asks for one (--http-tls-ca); with --key',
    },
    { name: 'key', value: 'FILE', help: 'PEM private key of the client certificate, with --cert' },
    {
      name: 'token-file',
      value: 'FILE',
      help: `the page's token (first line of FILE), sent as Authorization: Bearer; else $${HTTP_TOKEN_ENV}, else none`,
    },
  ],
  positionals: { min: 0, max: 1 },
  async run(p) {
    const url = nodeUrl(p.positionals[0] ?? DEFAULT_ADDRESS);
    const interval = Number(optString(p, 'interval') ?? 1000);
    const where = new URL(url).host;
    const cert = optString(p, 'cert');
    const key = optString(p, 'key');
    if ((cert === undefined) !== (key === undefined))
      throw new UsageError(cert === undefined ? '--key needs --cert' : '--cert needs --key');
    const how: FetchOptions = {
      ca: pem(optString(p, 'ca'), 'TLS authority'),
      cert: pem(cert, 'client certificate'),
      key: pem(key, 'client key'),
      token: httpToken(optString(p, 'token-file')),
    };
    let before: NodeSnapshot = await fetchSnapshot(url, how);
    if (p.options.has('once')) {
      await sleep(interval);
      const now = await fetchSnapshot(url, how);
      process.stdout.write(renderTop(now, topRows(now, before), where));
      return 0;
    }
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const tty = process.stdout.isTTY === true;
    try {
      while (!stopped) {
        await sleep(interval);
        if (stopped) break;
        let now: NodeSnapshot;
        try {
          now = await fetchSnapshot(url, how);
        } catch (e) {
          // A node restarting (a reload, a crash) comes back: say so and keep trying, as vector top does.
          const line = `sluice top: ${asSluiceError(e).message}; retrying every ${interval} ms\n`;
          process.stdout.write(tty ? `\x1b[H\x1b[2J${line}` : line);
          continue;
        }
        const table = renderTop(now, topRows(now, before), where);
        // On a terminal the table is redrawn in place; piped, each reading follows the last.
        process.stdout.write(tty ? `\x1b[H\x1b[2J${table}` : `${table}\n`);
        before = now;
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  },
};
