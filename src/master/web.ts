import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { asSluiceError } from '../core/errors.js';
import { tokenMatches } from '../web/http-guards.js';
import { MASTER_PAGE } from '../web/master-page.js';
import { NODE_PAGE } from '../web/node-page.js';
import {
  type ControlRoutes,
  type GetRoute,
  jsonReply,
  type PostRoute,
  type StatusServerOptions,
  type WebReply,
} from '../web/server.js';
import { eventCounts, ThroughputHistory } from '../web/throughput.js';
import type { CommandRecord, Master } from './master.js';
import { shellWords } from './shell-words.js';

/** What the master's pages read and do: the Master's public API only. */
export type WebMaster = Pick<
  Master,
  'submit' | 'command' | 'commands' | 'nodeStatus' | 'configs' | 'mappings' | 'translations' | 'flows'
>;

export interface MasterWebOptions {
  /** The master's token (the admin port's): when set, control actions and every read of data need it. */
  token?: string | undefined;
  /** The name the page shows (`master@host`). */
  name: string;
  /** Commands listed on the page, newest first. */
  historyLength?: number;
  /** More GET routes by path (the flow picture's `/api/flows` and `/assets/flows.js`). */
  routes?: Iterable<readonly [string, GetRoute]> | undefined;
}

/** The master's part of its web server: its page, JSON, assets and control actions. */
export type MasterWebParts = Required<
  Pick<StatusServerOptions, 'page' | 'routes' | 'control' | 'everySecond' | 'pages'>
> & {
  routes: Map<string, GetRoute>;
  token: string | undefined;
};

const require = createRequire(import.meta.url);

/** How old the command history on the page may be. */
const HISTORY_MS = 2000;

/** Files served under /assets/, resolved through the package (never a path into node_modules). */
const ASSETS: Record<string, { module: string; type: string }> = {
  '/assets/uPlot.iife.min.js': {
    module: 'uplot/dist/uPlot.iife.min.js',
    type: 'text/javascript; charset=utf-8',
  },
  '/assets/uPlot.min.css': { module: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
};

function asset(module: string, type: string): GetRoute {
  let body: Buffer | undefined;
  return () => {
    body ??= readFileSync(require.resolve(module));
    return { status: 200, type, body, cacheControl: 'public, max-age=3600' };
  };
}

const isWord = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;

/** The commands the page submits, as the admin port takes them: `{cmd, args}` or a shell line. */
function commandRoutes(master: WebMaster): Map<string, PostRoute> {
  const submitted = async (cmd: string, args: string[]) => ({
    status: 200,
    body: await master.submit(cmd, args),
  });
  return new Map<string, PostRoute>([
    [
      '/api/commands',
      async (body) => {
        const b = body as { cmd?: unknown; args?: unknown } | null;
        if (!isWord(b?.cmd) || !Array.isArray(b.args) || b.args.some((a) => typeof a !== 'string'))
          return { status: 400, body: { error: 'a command is {"cmd": NAME, "args": [STRING...]}' } };
        return submitted(b.cmd, b.args as string[]);
      },
    ],
    [
      '/api/command-line',
      async (body) => {
        const line = (body as { line?: unknown } | null)?.line;
        if (typeof line !== 'string')
          return { status: 400, body: { error: 'a command line is {"line": STRING}' } };
        let words: string[];
        try {
          words = shellWords(line);
        } catch (e) {
          return { status: 400, body: { error: asSluiceError(e).message } };
        }
        const [cmd, ...args] = words;
        if (!isWord(cmd)) return { status: 400, body: { error: 'the command line is empty' } };
        return submitted(cmd, args);
      },
    ],
  ]);
}

/**
 * Everything the page shows in one answer: node status (without the full reports, which
 * `/api/report` carries), each configuration beside its translated form, the mappings, the latest
 * commands and each node's throughput over the last minutes: the points recorded after `since`
 * (the page's cursor), or all of them without it.
 */
async function masterView(
  master: WebMaster,
  opts: MasterWebOptions,
  history: ThroughputHistory,
  commands: () => Promise<CommandRecord[]>,
  since: number | undefined,
) {
  // Waited for first, so everything below is read at one moment: the throughput's `until` then
  // covers what the answer holds.
  const recent = await commands();
  const throughput = history.view(since);
  const translated = master.translations();
  const flows = master.flows();
  return {
    master: opts.name,
    time: Date.now(),
    nodes: master.nodeStatus().map((s) => {
      const counts = eventCounts(s.report);
      return {
        name: s.name,
        physical: s.physical,
        host: s.host,
        state: s.state,
        version: s.version,
        applied: s.applied ?? null,
        error: s.error ?? s.report?.error ?? null,
        lastSeen: s.lastSeen,
        eventsIn: counts.in,
        eventsOut: counts.out,
      };
    }),
    configs: master.configs().map((c) => ({
      name: c.name,
      version: c.version,
      time: c.time,
      source: c.source,
      sink: c.sink,
      translated: translated[c.name]?.spec ?? null,
      translatedVersion: translated[c.name]?.version ?? null,
      flow: flows[c.name] ?? null,
    })),
    mappings: Object.entries(master.mappings())
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([physical, logical]) => ({ physical, logical })),
    commands: [...recent].reverse(),
    throughput: throughput.series,
    throughputUntil: throughput.until,
  };
}

/** `since` of `/api/master`: absent, or seconds as a former answer's `throughputUntil` gave them. */
function sinceOf(url: URL): number | undefined | Error {
  const text = url.searchParams.get('since');
  if (text === null) return undefined;
  if (!/^\d{1,15}(\.\d{1,9})?$/.test(text))
    return new Error(
      `since must be a number of seconds, the throughputUntil of an earlier answer (/api/master?since=SECONDS), not "${text.slice(0, 40)}"`,
    );
  return Number(text);
}

/**
 * The master's pages on its web port: `/` (node status, configurations, mappings, commands, forms,
 * throughput charts, the flow picture's place), `/components` (the fleet's components, the node page),
 * `/api/master` and `/api/command?id=N` (JSON), the chart library under `/assets/`, and the control
 * actions `POST /api/commands` and `POST /api/command-line`. More GET routes (the flow picture's) come
 * in `opts.routes`.
 */
export function masterWeb(master: WebMaster, opts: MasterWebOptions): MasterWebParts {
  const history = new ThroughputHistory();
  // A shared store reads each command with a round trip: every viewer's refresh shares one reading,
  // taken at most every HISTORY_MS.
  let read: { at: number; commands: Promise<CommandRecord[]> } | undefined;
  const commands = () => {
    const now = Date.now();
    if (read === undefined || now - read.at >= HISTORY_MS) {
      const commands = master.commands(opts.historyLength ?? 50);
      read = { at: now, commands };
      commands.catch(() => {
        if (read?.commands === commands) read = undefined;
      });
    }
    return read.commands;
  };
  const routes = new Map<string, GetRoute>([
    ['/components', () => ({ status: 200, type: 'text/html; charset=utf-8', body: NODE_PAGE })],
    [
      '/api/master',
      async (url) => {
        const since = sinceOf(url);
        if (since instanceof Error) return jsonReply(400, { error: since.message });
        return jsonReply(200, await masterView(master, opts, history, commands, since));
      },
    ],
    [
      '/api/command',
      async (url): Promise<WebReply> => {
        const id = url.searchParams.get('id') ?? '';
        if (!/^\d{1,15}$/.test(id))
          return jsonReply(400, { error: 'give the command id: /api/command?id=N' });
        const rec = await master.command(Number(id));
        return rec ? jsonReply(200, rec) : jsonReply(404, { error: `no command ${id}` });
      },
    ],
  ]);
  for (const [path, a] of Object.entries(ASSETS)) routes.set(path, asset(a.module, a.type));
  for (const [path, route] of opts.routes ?? []) routes.set(path, route);
  const token = opts.token;
  const control: ControlRoutes = {
    routes: commandRoutes(master),
    authorize:
      token === undefined
        ? undefined
        : (header) => tokenMatches(token, header?.startsWith('Bearer ') ? header.slice(7) : undefined),
  };
  return {
    page: MASTER_PAGE,
    // Served without the token (it asks for it); its data comes from /api/report.
    pages: new Set(['/components']),
    routes,
    control,
    token,
    everySecond: () => history.observe(master.nodeStatus()),
  };
}
