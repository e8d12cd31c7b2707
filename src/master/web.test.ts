import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { componentReport, pipelineReport } from '../../test/support/pipeline-reports.js';
import { builtinSpecChecker } from '../../test/support/spec-checker.js';
import { waitFor } from '../../test/support/wait.js';
import { memoryLogger } from '../core/logger.js';
import { fleetSnapshot } from '../web/fleet.js';
import { MAX_CONTROL_BODY_BYTES, StatusServer } from '../web/server.js';
import { type CommandRecord, Master } from './master.js';
import { MemoryStore } from './store.js';
import { masterWeb } from './web.js';

const TOKEN = 'web-secret';

async function startPages(t: { after(fn: () => unknown): void }, token?: string) {
  const logger = memoryLogger();
  const master = new Master({ store: new MemoryStore(), logger, check: builtinSpecChecker(logger) });
  await master.ready;
  const server = await StatusServer.start({
    host: '127.0.0.1',
    port: 0,
    nextFree: false,
    snapshot: () => fleetSnapshot('master@test', master.nodeStatus()),
    ...masterWeb(master, { token, name: 'master@test' }),
  });
  t.after(() => server.close());
  return { master, base: server.url };
}

/** A heartbeat of `physical` reporting logical node n1 ACTIVE: a seq source and a null sink with their counts. */
function beatN1(master: Master, physical: string, read: number, written: number) {
  return master.heartbeat({
    physical,
    host: 'vm',
    periodMs: 1000,
    nodes: [
      {
        name: 'n1',
        state: 'ACTIVE',
        version: 1,
        applied: 'APPLIED',
        report: pipelineReport('n1', [
          componentReport({ kind: 'source', name: 'seq', eventsIn: read, eventsOut: read }),
          componentReport({ kind: 'sink', name: 'null', eventsIn: written, eventsOut: written }),
        ]),
      },
    ],
  });
}

const CONTROL = { 'content-type': 'application/json', 'x-sluice-request': '1' };

function post(base: string, path: string, body: unknown, headers: Record<string, string> = CONTROL) {
  return fetch(new URL(path, base), { method: 'POST', headers, body: JSON.stringify(body) });
}

async function follow(
  base: string,
  id: number,
  headers: Record<string, string> = {},
): Promise<CommandRecord> {
  let rec: CommandRecord | undefined;
  await waitFor(
    async () => {
      const r = await fetch(new URL(`/api/command?id=${id}`, base), { headers });
      rec = (await r.json()) as CommandRecord;
      return rec.state !== 'PENDING';
    },
    `command ${id} to finish`,
    30_000,
  );
  return rec!;
}

test('a command posted with the control header runs, and /api/master shows configs, status and history', async (t) => {
  const { master, base } = await startPages(t);
  const res = await post(base, '/api/commands', { cmd: 'config', args: ['n1', 'seq', 'null'] });
  assert.equal(res.status, 200);
  const rec = (await res.json()) as CommandRecord;
  assert.equal(rec.cmd, 'config');
  const done = await follow(base, rec.id);
  assert.equal(done.state, 'SUCCEEDED', done.message);
  assert.equal(done.message, 'n1 version 1');

  // A raw command line is split with the shell's quoting.
  const line = await post(base, '/api/command-line', { line: `spawn 'host 1' n1` });
  const spawned = await follow(base, ((await line.json()) as CommandRecord).id);
  assert.deepEqual(spawned.args, ['host 1', 'n1']);
  const unterminated = await post(base, '/api/command-line', { line: `config n1 'seq` });
  assert.equal(unterminated.status, 400);
  assert.match(((await unterminated.json()) as { error: string }).error, /unterminated single quote/);

  await beatN1(master, 'host 1', 40, 30);
  const view = (await (await fetch(new URL('/api/master', base))).json()) as {
    master: string;
    nodes: {
      name: string;
      physical: string;
      state: string;
      applied: string;
      eventsIn: number;
      eventsOut: number;
    }[];
    configs: { name: string; version: number; source: string; sink: string; translated: string | null }[];
    mappings: { physical: string; logical: string[] }[];
    commands: CommandRecord[];
    throughput: Record<string, unknown>;
  };
  assert.equal(view.master, 'master@test');
  const n1 = view.nodes.find((n) => n.name === 'n1');
  assert.deepEqual(n1 && [n1.physical, n1.state, n1.applied, n1.eventsIn, n1.eventsOut], [
    'host 1',
    'ACTIVE',
    'APPLIED',
    40,
    30,
  ]);
  assert.deepEqual(
    view.configs.map((c) => [c.name, c.version, c.source, c.sink]),
    [['n1', 1, 'seq', 'null']],
  );
  assert.equal(typeof view.configs[0]?.translated, 'string');
  assert.deepEqual(
    view.mappings.find((m) => m.physical === 'host 1'),
    { physical: 'host 1', logical: ['n1'] },
  );
  // Newest first.
  assert.deepEqual(
    view.commands.map((c) => c.cmd),
    ['spawn', 'config'],
  );
});

test('a control POST needs the header, its own origin, a JSON body within 64 KiB and the token', async (t) => {
  const { base } = await startPages(t, TOKEN);
  const auth = { ...CONTROL, authorization: `Bearer ${TOKEN}` };
  const cmd = { cmd: 'config', args: ['n1', 'seq', 'null'] };
  const error = async (r: Response) => ((await r.json()) as { error: string }).error;

  const plain = await post(base, '/api/commands', cmd, {
    'content-type': 'application/json',
    authorization: auth.authorization,
  });
  assert.equal(plain.status, 403);
  assert.match(await error(plain), /x-sluice-request/);
  const foreign = await post(base, '/api/commands', cmd, { ...auth, origin: 'http://evil.example' });
  assert.equal(foreign.status, 403);
  assert.match(await error(foreign), /evil\.example/);
  const noToken = await post(base, '/api/commands', cmd);
  assert.equal(noToken.status, 401);
  assert.equal(noToken.headers.get('www-authenticate'), 'Bearer realm="sluice master"');
  const wrongToken = await post(base, '/api/commands', cmd, { ...CONTROL, authorization: 'Bearer nope' });
  assert.equal(wrongToken.status, 401);
  const form = await fetch(new URL('/api/commands', base), {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'cmd=config',
  });
  assert.equal(form.status, 415);
  const big = await post(
    base,
    '/api/commands',
    { cmd: 'multiconfig', args: ['x'.repeat(MAX_CONTROL_BODY_BYTES)] },
    auth,
  );
  assert.equal(big.status, 413);
  const notJson = await fetch(new URL('/api/commands', base), { method: 'POST', headers: auth, body: '{' });
  assert.equal(notJson.status, 400);
  const badShape = await post(base, '/api/commands', { cmd: 'config', args: [1] }, auth);
  assert.equal(badShape.status, 400);

  const same = new URL(base);
  const ok = await post(base, '/api/commands', cmd, { ...auth, origin: same.origin });
  assert.equal(ok.status, 200);
  const id = ((await ok.json()) as CommandRecord).id;
  assert.equal((await follow(base, id, { authorization: auth.authorization })).state, 'SUCCEEDED');
  // Reading the fleet needs the token too; the page itself loads without it, to ask for it.
  assert.equal((await fetch(new URL('/api/master', base))).status, 401);
  const read = await fetch(new URL('/api/master', base), { headers: { authorization: auth.authorization } });
  assert.equal(read.status, 200);
  assert.equal((await fetch(base)).status, 200);
});

test('a loopback page takes control requests only to an address or localhost (no DNS rebinding)', async (t) => {
  const { base } = await startPages(t);
  const port = new URL(base).port;
  const status = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ cmd: 'config', args: ['n1', 'seq', 'null'] });
      const req = request(
        { host: '127.0.0.1', port, path: '/api/commands', method: 'POST', headers: { ...CONTROL, host } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  assert.equal(await status(`attacker.example:${port}`), 403);
  assert.equal(await status(`localhost:${port}`), 200);
  assert.equal(await status(`127.0.0.1:${port}`), 200);
});

test('GET and HEAD elsewhere; the chart library is served from the package', async (t) => {
  const { base } = await startPages(t);
  for (const path of ['/api/master', '/', '/metrics']) {
    const r = await fetch(new URL(path, base), { method: 'POST', headers: CONTROL, body: '{}' });
    assert.equal(r.status, 405, path);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  }
  const getOnControl = await fetch(new URL('/api/commands', base));
  assert.equal(getOnControl.status, 404);
  const put = await fetch(new URL('/api/commands', base), { method: 'PUT', headers: CONTROL, body: '{}' });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('allow'), 'POST');

  const page = await fetch(base);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  // No other site may frame the page to have its forms clicked.
  assert.equal(page.headers.get('content-security-policy'), "frame-ancestors 'none'");
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  const html = await page.text();
  assert.match(
    html,
    /<section aria-labelledby="flows-title"><h2 id="flows-title">Flows<\/h2><div id="flow-picture"><\/div><\/section>/,
  );
  assert.match(html, /<script src="\/assets\/flows.js" defer><\/script>/);
  assert.doesNotMatch(html, /innerHTML/);
  const js = await fetch(new URL('/assets/uPlot.iife.min.js', base));
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.match(await js.text(), /uPlot/);
  const css = await fetch(new URL('/assets/uPlot.min.css', base), { method: 'HEAD' });
  assert.equal(css.status, 200);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal((await fetch(new URL('/api/command?id=99', base))).status, 404);
  assert.equal((await fetch(new URL('/api/command?id=x', base))).status, 400);
});

test('/api/master?since= carries only the throughput recorded since an earlier answer; since is checked', async (t) => {
  const { master, base } = await startPages(t);
  for (const [cmd, args] of [
    ['config', ['n1', 'seq', 'null']],
    ['spawn', ['host1', 'n1']],
  ] as const) {
    const rec = (await (await post(base, '/api/commands', { cmd, args })).json()) as CommandRecord;
    assert.equal((await follow(base, rec.id)).state, 'SUCCEEDED');
  }
  let count = 0;
  const beat = () => {
    count += 10;
    return beatN1(master, 'host1', count, count);
  };
  type View = { throughput: Record<string, { t: number[]; in: number[] }>; throughputUntil: number };
  const read = async (query = '') =>
    (await (await fetch(new URL(`/api/master${query}`, base))).json()) as View;

  // The page's first read: the whole history (a point per heartbeat the master sampled). A heartbeat
  // is sent only once the last one was sampled, so the last read holds every heartbeat sent.
  let whole: View | undefined;
  const lastSeen = () => master.nodeStatus().find((s) => s.name === 'n1')?.lastSeen;
  await beat();
  await waitFor(
    async () => {
      whole = await read();
      const points = whole.throughput.n1?.t ?? [];
      const sampled = points.at(-1) === (lastSeen() ?? 0) / 1000;
      if (sampled && points.length >= 2) return true;
      if (sampled || points.length === 0) await beat();
      return false;
    },
    'two throughput points for n1',
    30_000,
    50,
  );
  // No heartbeat since: n1 is named, with nothing new.
  const nothing = await read(`?since=${whole!.throughputUntil}`);
  assert.deepEqual(nothing.throughput, { n1: { t: [], in: [], out: [] } });
  assert.ok(nothing.throughputUntil >= whole!.throughputUntil);

  // One more heartbeat: once sampled, exactly its point comes.
  await beat();
  let next: View | undefined;
  await waitFor(
    async () => ((next = await read(`?since=${whole!.throughputUntil}`)).throughput.n1?.t.length ?? 0) > 0,
    'the next point of n1',
    30_000,
  );
  assert.equal(next!.throughput.n1!.t.length, 1);
  assert.ok(next!.throughput.n1!.t[0]! > whole!.throughput.n1!.t.at(-1)!);
  assert.equal((await read()).throughput.n1!.t.length, whole!.throughput.n1!.t.length + 1);

  for (const bad of ['abc', '', '-1', '1e9', '12.5.1']) {
    const r = await fetch(new URL(`/api/master?since=${bad}`, base));
    assert.equal(r.status, 400, bad);
    assert.match(((await r.json()) as { error: string }).error, /^since must be a number of seconds/);
  }
});
