// A node's own web server on loopback, read the way its users read it: Prometheus scrapes /metrics while
// a flow runs, a load balancer asks /api/v1/health, an operator runs `sluice top --once`, a browser loads
// the page. The node is a real `sluice node -1 --http-port 0` process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { AvroReceiver } from '../support/avro-receiver.js';
import { parseExposition } from '../support/prometheus-text.js';
import { writeSiteConf } from '../support/site-conf.js';
import { componentFigure, startWithStatusPage } from '../support/status-page.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

async function scrape(base: string): Promise<Map<string, number>> {
  const res = await fetch(new URL('/metrics', base));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

const sinkSeries = (node: string) =>
  `{node="${node}",pipeline="feed",component_id="text",component_kind="sink",component_type="text"}`;

test('/metrics counts grow while a flow runs and equal the events delivered at its end; top and the page show it', async (t) => {
  const dir = tempDir('web-metrics', t);
  const out = join(dir, 'out.txt');
  const keep = join(dir, 'keep.log');
  writeFileSync(keep, '');
  const total = 600;
  // feed delivers 600 events over about 3 s; keep (an endless tail) holds the process open after it.
  const spec = `feed : seq(totalEvents=${total}, batchSize=10) | { delay(50) => text("${out}") } ; keep : tail("${keep}") | null ;`;
  const node = await startWithStatusPage(['node', '-1', '--http-port', '0', '-e', spec], dir);
  t.after(() => node.stop());
  const first = await scrape(node.base);
  const nodeName = /node="([^"]*)"/.exec([...first.keys()].join('\n'))![1]!;
  const sent = `component_sent_events_total${sinkSeries(nodeName)}`;
  const a = first.get(sent) ?? 0;
  await waitFor(
    async () => ((await scrape(node.base)).get(sent) ?? 0) > a,
    'the sink counter to grow between scrapes',
  );

  // sluice top --once, while the flow runs: the components by name, with rates above zero.
  const top = spawnSync(process.execPath, [BIN, 'top', '--once', new URL(node.base).host], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(top.status, 0, top.stderr);
  const sinkRow = top.stdout.split('\n').find((l) => l.startsWith('feed/text '));
  assert.ok(sinkRow, top.stdout);
  assert.match(top.stdout, /^keep\/keep\s+source\s+tail\s+ACTIVE/m);
  const cols = sinkRow.trim().split(/\s{2,}/);
  // ID KIND TYPE STATE EVENTS-IN IN/S BYTES-IN BYTES/S EVENTS-OUT OUT/S ERRORS ERR/S
  assert.ok(Number(cols[9]) > 0, `events out per second of the sink: ${sinkRow}`);
  assert.ok(Number(cols[5]) > 0, `events in per second of the sink: ${sinkRow}`);

  // The page: HTML that reads /api/report.
  const page = await fetch(node.base);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await page.text();
  assert.match(html, /authFetch\('\/api\/report'\)/);
  assert.match(html, /<caption>/);

  // The end: the feed drained, and the counter equals the lines on disk.
  await waitFor(
    async () => (await componentFigure(node.base, 'feed', 'text', 'eventsOut')) === total,
    () => `every event delivered; log:\n${node.log()}`,
    30_000,
    100,
  );
  await waitFor(async () => {
    const r = (await (await fetch(new URL('/api/report', node.base))).json()) as {
      pipelines: { name: string; state: string }[];
    };
    return r.pipelines.find((p) => p.name === 'feed')?.state === 'IDLE';
  }, 'feed to drain and close its sink');
  const last = await scrape(node.base);
  const lines = readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  assert.equal(lines.length, total);
  assert.equal(last.get(sent), lines.length);
  assert.equal(last.get(`component_received_events_total${sinkSeries(nodeName)}`), total);
  assert.equal(await node.stop(), 0, node.log());
});

test('/api/v1/health answers 200 while the sink delivers and 500 with the reason once it fails', async (t) => {
  const dir = tempDir('web-health', t);
  const keep = join(dir, 'keep.log');
  writeFileSync(keep, '');
  const receiver = new AvroReceiver();
  const port = await receiver.listen();
  let closed = false;
  t.after(async () => {
    if (!closed) await receiver.close();
  });
  const spec = `feed : seq(batchSize=10) | { delay(20) => rpcSink("127.0.0.1", ${port}, connectTimeout=500, requestTimeout=500) } ; keep : tail("${keep}") | null ;`;
  const node = await startWithStatusPage(['node', '-1', '--http-port', '0', '-e', spec], dir);
  t.after(() => node.stop());
  await waitFor(
    async () => (await componentFigure(node.base, 'feed', 'rpcSink', 'eventsOut')) > 0,
    'the sink to deliver',
  );
  const ok = await fetch(new URL('/api/v1/health', node.base));
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal(((await ok.json()) as { status: string }).status, 'ok');

  await receiver.close();
  closed = true;
  let body: { status?: string; reasons?: string[] } = {};
  await waitFor(
    async () => {
      const r = await fetch(new URL('/api/v1/health', node.base));
      body = (await r.json()) as typeof body;
      return r.status === 500;
    },
    () => `health to turn 500; last answer ${JSON.stringify(body)}`,
    30_000,
    100,
  );
  assert.equal(body.status, 'error');
  assert.match(body.reasons!.join('\n'), /feed/);
});

test("the master's page serves its fleet: each node's figures from its heartbeats as /metrics, report and top", {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir('web-master', t);
  const hb = await freePort();
  const admin = await freePort();
  const conf = writeSiteConf(dir, {
    'flume.config.heartbeat.period': '200',
    'flume.master.heartbeat.port': String(hb),
    'flume.master.admin.port': String(admin),
  });
  const master = await startWithStatusPage(
    ['master', '--conf', conf, '--store', 'memory', '--http-port', '0'],
    dir,
  );
  t.after(() => master.stop());
  const node = await startWithStatusPage(['node', '-n', 'host1', '--conf', conf, '--http-port', '0'], dir);
  t.after(() => node.stop());
  const configured = spawnSync(
    process.execPath,
    [
      BIN,
      'shell',
      '-q',
      '-c',
      `127.0.0.1:${admin}`,
      '-e',
      `config host1 'seq(batchSize=10)' '{ delay(50) => null }'`,
    ],
    { encoding: 'utf8', timeout: 30_000, cwd: dir },
  );
  assert.equal(configured.status, 0, configured.stderr);

  const series =
    'component_sent_events_total{node="host1",pipeline="host1",component_id="null",component_kind="sink",component_type="null"}';
  let first = 0;
  await waitFor(
    async () => {
      first = (await scrape(master.base)).get(series) ?? 0;
      return first > 0;
    },
    () =>
      `the master's /metrics to show host1's sink; master log:\n${master.log()}\nnode log:\n${node.log()}`,
    60_000,
    100,
  );
  await waitFor(
    async () => ((await scrape(master.base)).get(series) ?? 0) > first,
    'the count to grow with heartbeats',
  );
  // The node's own page tells the same figures, read directly.
  assert.ok((await componentFigure(node.base, 'host1', 'null', 'eventsOut')) >= first);
  const health = await fetch(new URL('/api/v1/health', master.base));
  assert.equal(health.status, 200, await health.clone().text());

  const top = spawnSync(process.execPath, [BIN, 'top', '--once', new URL(master.base).host], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(top.status, 0, top.stderr);
  assert.match(top.stdout, /\(fleet, version \d+\): host1 ACTIVE/);
  assert.match(top.stdout, /^null\s+sink\s+null\s+ACTIVE\s+\d+\s+[1-9]/m);

  // The node stops heartbeating: the master marks host1 LOST and its health turns 500.
  node.child.kill('SIGKILL');
  let last = '';
  await waitFor(
    async () => {
      const r = await fetch(new URL('/api/v1/health', master.base));
      last = await r.text();
      return r.status === 500;
    },
    () => `the master's health to turn 500 once host1 is lost; it said ${last}`,
    30_000,
    100,
  );
});

test('sluice top against a port where nothing listens says so and exits 1', async () => {
  const port = await freePort();
  const r = spawnSync(process.execPath, [BIN, 'top', '--once', `127.0.0.1:${port}`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`sluice top: 127\\.0\\.0\\.1:${port} did not answer: ECONNREFUSED`));
});
