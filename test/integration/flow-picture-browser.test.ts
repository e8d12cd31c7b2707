// The picture of the flows in a real browser (Debian's headless Chromium driven by playwright-core): a
// real Master fed with heartbeats (an agent sending to its collector best effort, agents with an
// autoE2EChain over collectors), its flow routes served on loopback with a minimal page. The boxes
// sit inside their physical node's box, the agent's arrow to its collector shows a positive rate after
// two reports, a collector that stops heartbeating is drawn LOST. The screenshot is kept in
// SLUICE_TEST_ARTIFACTS (default test-artifacts/).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { memoryLogger } from '../../src/core/logger.js';
import { flowRoutes } from '../../src/master/flow-routes.js';
import { Master } from '../../src/master/master.js';
import { MemoryStore } from '../../src/master/store.js';
import { peer, peerSkip } from '../support/peers.js';
import { componentReport, pipelineReport } from '../support/pipeline-reports.js';
import { builtinSpecChecker } from '../support/spec-checker.js';
import { waitFor } from '../support/wait.js';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flows</title></head>
<body><main><h1>Flows</h1><div id="flows"></div></main>
<script src="/assets/dagre.js"></script>
<script src="/assets/flows.js"></script>
<script>
  var el = document.getElementById('flows');
  function poll() {
    fetch('/api/flows').then(function (r) { return r.json(); })
      .then(function (d) { window.renderFlows(el, d); window.polls = (window.polls || 0) + 1; })
      .finally(function () { setTimeout(poll, 200); });
  }
  poll();
</script></body></html>`;

const AGENTS = ['a1', 'a2', 'a3', 'a4'];
const CHAIN_COLLECTORS = ['c2', 'c3'];

test('the flow picture draws boxes by physical node, the agent -> collector arrow with its rate, a LOST collector', {
  skip: peerSkip('chromium'),
}, async (t) => {
  const logger = memoryLogger();
  const clock = { now: 1_000_000 };
  const m = new Master({
    store: new MemoryStore(),
    logger,
    check: builtinSpecChecker(logger),
    now: () => clock.now,
  });
  await m.ready;
  const ok = async (cmd: string, ...args: string[]) => {
    const r = await m.exec(cmd, args);
    assert.equal(r.state, 'SUCCEEDED', `${cmd}: ${r.message}`);
  };
  await ok(
    'multiconfig',
    [
      'agent1 : asciisynth(5, 10) | agentBESink("127.0.0.1", 35853) ;',
      'collector1 : collectorSource | null ;',
      ...AGENTS.map((a) => `${a} : asciisynth(5, 10) | autoE2EChain ;`),
      ...CHAIN_COLLECTORS.map((c) => `${c} : collectorSource | null ;`),
    ].join('\n'),
  );
  await ok('spawn', 'web1', 'agent1');
  await ok('spawn', 'store1', 'collector1');
  for (const a of AGENTS) await ok('spawn', 'web2', a, 'chained');
  for (const [i, c] of CHAIN_COLLECTORS.entries()) await ok('spawn', `store${i + 2}`, c, 'chained');

  // Each physical node on its own loopback address: on one, the collectors' ports would clash.
  const physicals = Object.keys(m.mappings()).sort();
  const addressOf = (physical: string) => `127.0.0.${physicals.indexOf(physical) + 1}`;
  /** One heartbeat of each physical node but `skip`: its nodes ACTIVE, agent1 having sent `sent`. */
  const round = async (sent: number, skip?: string) => {
    for (const [physical, names] of Object.entries(m.mappings())) {
      if (physical === skip) continue;
      const nodes = names.map((name) => ({
        name,
        state: 'ACTIVE',
        version: m.translations()[name]?.version ?? 0,
        report: pipelineReport(
          name,
          name === 'agent1' ? [componentReport({ kind: 'sink', name: 'agentBESink', eventsOut: sent })] : [],
        ),
      }));
      await m.heartbeat({ physical, host: physical, periodMs: 1000, nodes, address: addressOf(physical) });
    }
  };
  // Collectors first, so the agents' chains are translated over them.
  await round(0);
  await round(0);

  const routes = flowRoutes(m);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = path === '/' ? { type: 'text/html; charset=utf-8', body: PAGE } : routes[path]?.();
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': route.type }).end(route.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const browser = await chromium.launch({
    executablePath: peer('chromium'),
    // Containers often forbid the user namespaces Chromium's sandbox needs; the page is our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
    timeout: 60_000,
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // Playwright's 30 s default for each action is short for Chromium on a loaded 2-core machine.
  page.setDefaultTimeout(60_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base);
  const picture = page.getByRole('img', { name: /^Flows: / });
  await picture.waitFor({ timeout: 60_000 });
  assert.match(
    (await picture.getAttribute('aria-label')) ?? '',
    /^Flows: 8 logical node\(s\) on 5 physical node\(s\), 9 link\(s\)/,
  );

  // Every box lies inside the box of its physical node.
  // Browser code as text: the tests are type-checked without the DOM's types.
  const placement = (await page.evaluate(`(() => {
    const inside = (a, b) => a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom;
    const groups = new Map();
    for (const g of document.querySelectorAll('g.flow-group'))
      groups.set(g.getAttribute('data-physical'), g.querySelector('rect').getBoundingClientRect());
    return [...document.querySelectorAll('g.flow-node')].map((n) => {
      const physical = n.getAttribute('data-physical');
      const box = groups.get(physical);
      return [n.getAttribute('data-name'), physical, box !== undefined && inside(n.getBoundingClientRect(), box)];
    });
  })()`)) as [string, string, boolean][];
  assert.deepEqual(placement.sort(), [
    ['a1', 'web2', true],
    ['a2', 'web2', true],
    ['a3', 'web2', true],
    ['a4', 'web2', true],
    ['agent1', 'web1', true],
    ['c2', 'store2', true],
    ['c3', 'store3', true],
    ['collector1', 'store1', true],
  ]);

  // The arrow from the agent to its collector, with the rate of the second report on its label.
  const arrow = page.locator('g.flow-link[data-from="agent1"][data-to="collector1"]');
  assert.equal(await arrow.getAttribute('data-kind'), 'rpc');
  assert.equal(await arrow.locator('path').getAttribute('marker-end'), 'url(#flow-arrow-active)');
  const label = arrow.locator('text.flow-rate');
  assert.equal(await label.textContent(), '0 events/s');
  // The layout is not made again when only figures change: the same svg element stays.
  await page.evaluate(`document.querySelector('svg.flow-picture').marked = true`);
  await page.keyboard.press('Tab');
  const focusedName = `document.activeElement.getAttribute('data-name')`;
  const focused = await page.evaluate(focusedName);
  assert.ok(focused, 'a node box takes the keyboard focus');

  clock.now += 1000;
  await round(1500);
  await waitFor(
    async () => /^[1-9][\d,]* events\/s$/.test((await label.textContent()) ?? ''),
    'a positive rate on the agent1 -> collector1 arrow',
    30_000,
    100,
  );
  assert.equal(await label.textContent(), '1,500 events/s');
  assert.equal(
    await page.evaluate(`document.querySelector('svg.flow-picture').marked`),
    true,
    'the picture was updated in place',
  );
  assert.equal(await page.evaluate(focusedName), focused, 'the focus stays on its box');
  const spoken = await page.locator('ul.flow-links-list li').allTextContents();
  assert.ok(
    spoken.includes('agent1 -> collector1, rpc, 1,500 events/s, active'),
    `the screen reader list: ${spoken.join(' | ')}`,
  );
  assert.equal(spoken.filter((s) => / chain primary, /.test(s)).length, AGENTS.length);
  const chained = async () =>
    (await page.evaluate(
      `[...document.querySelectorAll('g.flow-link[data-kind="chain"]')].map((l) => l.getAttribute('data-from') + ' ' + l.getAttribute('data-to')).sort()`,
    )) as string[];
  assert.deepEqual(
    await chained(),
    AGENTS.flatMap((a) => CHAIN_COLLECTORS.map((c) => `${a} ${c}`)),
    'each agent chains over the collectors of its flow',
  );
  assert.equal(
    await page.locator('g.flow-link[data-primary="false"] path[stroke-dasharray]').count(),
    AGENTS.length,
    'each chain backup is dashed',
  );

  const artifacts = resolve(process.env.SLUICE_TEST_ARTIFACTS || 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  const shot = join(artifacts, 'flow-picture.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);

  // store3 stops heartbeating: c3 is LOST, written so in its box, and the chains leave it.
  clock.now += 4000;
  await round(3000, 'store3');
  const lost = page.locator('g.flow-node[data-name="c3"]');
  await waitFor(async () => (await lost.getAttribute('data-state')) === 'LOST', 'c3 drawn LOST', 30_000, 100);
  assert.match((await lost.locator('text.flow-state').textContent()) ?? '', /^LOST/);
  assert.match(
    (await lost.getAttribute('aria-label')) ?? '',
    /^c3: LOST, version \d+, on store3, flow chained$/,
  );
  assert.equal(await lost.locator('title').textContent(), await lost.getAttribute('aria-label'));
  // The page may have drawn c3 LOST from a poll before the master translated the chains again.
  await waitFor(
    async () => (await chained()).join() === AGENTS.map((a) => `${a} c2`).join(),
    'the chains to leave c3',
    30_000,
    100,
  );
  // A fleet with nothing in it still draws (an empty picture, with its summary).
  assert.equal(
    await page.evaluate(`(() => {
      const d = document.createElement('div');
      document.body.appendChild(d);
      window.renderFlows(d, { groups: [], links: [] });
      return d.querySelector('svg').getAttribute('width') + ' ' + d.querySelector('svg').getAttribute('aria-label');
    })()`),
    '200 Flows: 0 logical node(s) on 0 physical node(s), 0 link(s); the links are listed below',
  );
  assert.deepEqual(errors, []);

  const lostShot = join(artifacts, 'flow-picture-lost.png');
  await page.screenshot({ path: lostShot, fullPage: true });
  t.diagnostic(`screenshot: ${lostShot}`);
});
