import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pipelineReport, componentReport as sinkReport } from '../../test/support/pipeline-reports.js';
import { builtinSpecChecker } from '../../test/support/spec-checker.js';
import { memoryLogger } from '../core/logger.js';
import type { FlowLink, FlowPicture } from '../web/flow-picture.js';
import { FlowGraph } from './flow-graph.js';
import { Master } from './master.js';
import { emptyData, MemoryStore } from './store.js';

const logger = memoryLogger();
const check = builtinSpecChecker(logger);

/** A master on a clock the test moves, and its FlowGraph. */
async function setUp(): Promise<{ m: Master; graph: FlowGraph; clock: { now: number } }> {
  const clock = { now: 1_000_000 };
  const m = new Master({ store: new MemoryStore(), logger, check, basePort: 35853, now: () => clock.now });
  await m.ready;
  return { m, graph: new FlowGraph(m), clock };
}

async function ok(m: Master, cmd: string, ...args: string[]): Promise<void> {
  const r = await m.exec(cmd, args);
  assert.equal(r.state, 'SUCCEEDED', `${cmd} ${args.join(' ')}: ${r.message}`);
}

/**
 * A heartbeat of `physical` from `address`: its mapped logical nodes ACTIVE at their translated
 * version, each with the sink counters `sent` gives it (component name -> events out).
 */
async function beat(
  m: Master,
  physical: string,
  address: string,
  sent: Record<string, Record<string, number>> = {},
): Promise<void> {
  await m.ready;
  const nodes = (m.mappings()[physical] ?? []).map((name) => ({
    name,
    state: 'ACTIVE',
    version: m.translations()[name]?.version ?? 0,
    report: pipelineReport(
      name,
      Object.entries(sent[name] ?? {}).map(([sink, eventsOut]) =>
        sinkReport({ kind: 'sink', name: sink, eventsIn: eventsOut, eventsOut }),
      ),
    ),
  }));
  await m.heartbeat({ physical, host: physical, periodMs: 1000, nodes, address });
}

const linksOf = (p: FlowPicture) =>
  p.links
    .map((l) => [l.from, l.to, l.kind, l.primary, l.state])
    .sort((a, b) => String(a).localeCompare(String(b)));
const link = (p: FlowPicture, from: string, to: string): FlowLink => {
  const l = p.links.find((x) => x.from === from && x.to === to);
  assert.ok(l, `no link ${from} -> ${to} in ${JSON.stringify(p.links)}`);
  return l;
};

test('an agent sink to a collector is an rpc link found by port and address, with the rate of its sink', async () => {
  const { m, graph, clock } = await setUp();
  await ok(
    m,
    'multiconfig',
    `agent1 : asciisynth(5, 10) | agentBESink("10.0.0.3", 35853) ;
     agent2 : asciisynth(5, 10) | agentBESink("host4") ;
     collector1 : collectorSource | null ;
     collector2 : collectorSource | null ;`,
  );
  await ok(m, 'spawn', 'host1', 'agent1');
  await ok(m, 'spawn', 'host1', 'agent2');
  await ok(m, 'spawn', 'host3', 'collector1');
  await ok(m, 'spawn', 'host4', 'collector2');
  await beat(m, 'host3', '10.0.0.3');
  await beat(m, 'host4', '10.0.0.4');
  await beat(m, 'host1', '10.0.0.1', { agent1: { agentBESink: 1000 }, agent2: { agentBESink: 7 } });

  const first = graph.picture();
  assert.deepEqual(
    first.groups.map((g) => [g.physical, g.host, g.nodes.map((n) => `${n.name} ${n.state}`)]),
    [
      ['host1', 'host1', ['agent1 ACTIVE', 'agent2 ACTIVE']],
      ['host3', 'host3', ['collector1 ACTIVE']],
      ['host4', 'host4', ['collector2 ACTIVE']],
    ],
  );
  // Both collectors listen on 35853 (each on its own machine): the address (or host name) decides.
  assert.deepEqual(linksOf(first), [
    ['agent1', 'collector1', 'rpc', undefined, 'active'],
    ['agent2', 'collector2', 'rpc', undefined, 'active'],
  ]);
  assert.equal(link(first, 'agent1', 'collector1').eventsPerSec, 0, 'one sample is no rate yet');

  clock.now += 2000;
  await beat(m, 'host3', '10.0.0.3');
  await beat(m, 'host4', '10.0.0.4');
  await beat(m, 'host1', '10.0.0.1', { agent1: { agentBESink: 5000 }, agent2: { agentBESink: 7 } });
  const second = graph.picture();
  assert.equal(link(second, 'agent1', 'collector1').eventsPerSec, 2000);
  assert.equal(link(second, 'agent2', 'collector2').eventsPerSec, 0);
  // Asking again before the next heartbeat gives the same rate, not a zero.
  assert.equal(link(graph.picture(), 'agent1', 'collector1').eventsPerSec, 2000);

  // The collector's node stops heartbeating: it is LOST, its link is down and carries nothing.
  clock.now += 3500;
  await beat(m, 'host1', '10.0.0.1', { agent1: { agentBESink: 9000 }, agent2: { agentBESink: 7 } });
  const lost = graph.picture();
  assert.equal(lost.groups.find((g) => g.physical === 'host3')!.nodes[0]!.state, 'LOST');
  assert.equal(link(lost, 'agent1', 'collector1').state, 'down');
});

test('six agents with autoE2EChain over three collectors: a chain link to each, one primary, its rate on it', async () => {
  const { m, graph, clock } = await setUp();
  const agents = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
  const collectors = ['c1', 'c2', 'c3'];
  await ok(
    m,
    'multiconfig',
    [
      ...agents.map((a) => `${a} : asciisynth(5, 10) | autoE2EChain ;`),
      ...collectors.map((c) => `${c} : collectorSource | null ;`),
    ].join('\n'),
  );
  for (const a of agents) await ok(m, 'spawn', 'agents', a);
  for (const [i, c] of collectors.entries()) await ok(m, 'spawn', `col${i + 1}`, c);
  const round = async (sent: number) => {
    for (const [i] of collectors.entries()) await beat(m, `col${i + 1}`, `10.0.0.${i + 1}`);
    await beat(m, 'agents', '10.0.1.1', Object.fromEntries(agents.map((a) => [a, { agentE2EChain: sent }])));
  };
  await round(0);
  graph.picture();
  clock.now += 1000;
  await round(300);
  const p = graph.picture();
  assert.equal(p.links.length, 18);
  assert.ok(p.links.every((l) => l.kind === 'chain' && l.state === 'active'));
  const primaries = new Map<string, number>();
  for (const a of agents) {
    const mine = p.links.filter((l) => l.from === a);
    assert.deepEqual(mine.map((l) => l.to).sort(), collectors, `${a} chains over every collector`);
    const first = mine.filter((l) => l.primary === true);
    assert.equal(first.length, 1, `${a} has one primary`);
    // Its events go to its primary; the backups carry none.
    assert.equal(first[0]!.eventsPerSec, 300);
    assert.ok(mine.filter((l) => l.primary === false).every((l) => l.eventsPerSec === 0));
    primaries.set(first[0]!.to, (primaries.get(first[0]!.to) ?? 0) + 1);
  }
  assert.deepEqual([...primaries.values()], [2, 2, 2], 'primaries spread evenly');

  // c2's node stops heartbeating: it is drawn LOST and the chains are computed without it.
  clock.now += 3500;
  await beat(m, 'col1', '10.0.0.1');
  await beat(m, 'col3', '10.0.0.3');
  await beat(m, 'agents', '10.0.1.1');
  const after = graph.picture();
  assert.equal(after.groups.find((g) => g.physical === 'col2')!.nodes[0]!.state, 'LOST');
  assert.equal(after.links.filter((l) => l.to === 'c2').length, 0);
  for (const a of agents) assert.equal(after.links.filter((l) => l.from === a && l.primary).length, 1);
});

test('logicalSink to a logicalSource is a logical link; waiting until the master resolves it; failover marks its backup', async () => {
  const { m, graph, clock } = await setUp();
  await ok(
    m,
    'multiconfig',
    `p1 : asciisynth(5, 10) | logicalSink("c") ;
     p2 : asciisynth(5, 10) | [ logicalSink("c"), logicalSink("d") ] ;
     p3 : asciisynth(5, 10) | < logicalSink("c") ? logicalSink("d") > ;
     c : logicalSource | console ;
     d : logicalSource | console ;
     idle : null | console ;`,
  );
  for (const n of ['p1', 'p2', 'p3']) await ok(m, 'spawn', 'h1', n);
  await ok(m, 'spawn', 'h3', 'c');
  await ok(m, 'spawn', 'h3', 'd');
  await beat(m, 'h1', '10.0.0.1');
  const early = graph.picture();
  assert.equal(link(early, 'p1', 'c').state, 'waiting', 'h3 has not heartbeated: p1 waits on a fail sink');
  assert.deepEqual(
    early.groups.map((g) => [g.physical, g.nodes.map((n) => `${n.name} ${n.state}`)]),
    [
      ['h1', ['p1 ACTIVE', 'p2 ACTIVE', 'p3 ACTIVE']],
      ['h3', ['c UNKNOWN', 'd UNKNOWN']],
      ['', ['idle UNMAPPED']],
    ],
  );

  await beat(m, 'h3', '10.0.0.3');
  // p2's two rpcSinks repeat a catalog name: each is reported under its place in the translated spec.
  const spec = m.translations().p2!.spec;
  assert.match(spec, /\[ rpcSink\("10.0.0.3", 35853\), rpcSink\("10.0.0.3", 35854\) \]/);
  const first = `rpcSink@1:${spec.indexOf('rpcSink') + 1}`;
  const second = `rpcSink@1:${spec.lastIndexOf('rpcSink') + 1}`;
  clock.now += 500;
  await beat(m, 'h1', '10.0.0.1', { p2: { [first]: 0, [second]: 0 } });
  graph.picture();
  clock.now += 500;
  await beat(m, 'h1', '10.0.0.1', { p1: { rpcSink: 10 }, p2: { [first]: 100, [second]: 50 } });
  const p = graph.picture();
  assert.deepEqual(linksOf(p), [
    ['p1', 'c', 'logical', undefined, 'active'],
    ['p2', 'c', 'logical', undefined, 'active'],
    ['p2', 'd', 'logical', undefined, 'active'],
    ['p3', 'c', 'logical', true, 'active'],
    ['p3', 'd', 'logical', false, 'active'],
  ]);
  assert.equal(link(p, 'p2', 'c').eventsPerSec, 200);
  assert.equal(link(p, 'p2', 'd').eventsPerSec, 100);
  assert.equal(link(p, 'p1', 'c').eventsPerSec, 0, 'p1 reported no earlier sample of its sink');

  // A counter that went back (the node was reconfigured) started again from 0 within the interval:
  // it counts from 0, never negative, as the throughput charts count it.
  clock.now += 500;
  await beat(m, 'h1', '10.0.0.1', { p2: { [first]: 3, [second]: 60 } });
  const again = graph.picture();
  assert.equal(link(again, 'p2', 'c').eventsPerSec, 6);
  assert.equal(link(again, 'p2', 'd').eventsPerSec, 20);

  // The same translated text entered as an rpcSink is an rpc link.
  await ok(m, 'config', 'p1', 'asciisynth(5, 10)', 'rpcSink("10.0.0.3", 35853)');
  assert.equal(m.translations().p1!.spec, 'p1 : asciisynth(5, 10) | rpcSink("10.0.0.3", 35853) ;');
  assert.equal(link(graph.picture(), 'p1', 'c').kind, 'rpc');
});

test('thousands of nodes: every rpc link is found among a hundred listeners per port', async (t) => {
  // The fleet is loaded from the store, as a restarted master would: 6,000 spawn commands would
  // measure the master's commands, not the picture.
  const n = 3000;
  const hosts = 100;
  const data = emptyData();
  for (let i = 0; i < n; i++) {
    const h = i % hosts;
    const port = 40000 + Math.floor(i / hosts);
    const sender = { source: 'null', sink: `agentBESink("10.2.0.${h}", ${port})` };
    const receiver = { source: `rpcSource(${port})`, sink: 'null' };
    for (const [name, c] of [
      [`s${i}`, sender],
      [`r${i}`, receiver],
    ] as const) {
      data.configs[name] = { name, ...c, hash: name, version: data.nextVersion++, time: 0 };
    }
    (data.mappings[`hs${h}`] ??= []).push(`s${i}`);
    (data.mappings[`hr${h}`] ??= []).push(`r${i}`);
  }
  data.translation = { flows: {}, ports: {}, translated: {}, addresses: {} };
  for (let h = 0; h < hosts; h++) {
    data.translation.addresses[`hs${h}`] = `10.1.0.${h}`;
    data.translation.addresses[`hr${h}`] = `10.2.0.${h}`;
  }
  const store = new MemoryStore();
  await store.save(data);
  const m = new Master({ store, logger, check, basePort: 35853 });
  await m.ready;
  for (let h = 0; h < hosts; h++) {
    await beat(m, `hs${h}`, `10.1.0.${h}`);
    await beat(m, `hr${h}`, `10.2.0.${h}`);
  }
  const graph = new FlowGraph(m);
  const t0 = performance.now();
  const p = graph.picture();
  const cold = performance.now() - t0;
  const t1 = performance.now();
  graph.picture();
  const warm = performance.now() - t1;
  t.diagnostic(`picture of ${2 * n} nodes: ${cold.toFixed(0)} ms first, ${warm.toFixed(0)} ms after`);
  assert.equal(p.links.length, n);
  assert.ok(
    p.links.every((l) => l.kind === 'rpc' && l.to === `r${l.from.slice(1)}`),
    'each sender reaches the receiver on its port at its address',
  );
});
