import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinSpecChecker } from '../../test/support/spec-checker.js';
import { tempDir } from '../../test/support/tmp.js';
import { memoryLogger } from '../core/logger.js';
import { chainOrder } from './chains.js';
import { type Heartbeat, Master } from './master.js';
import { type ConfigStore, FileStore, MemoryStore } from './store.js';

const logger = memoryLogger();
const check = builtinSpecChecker(logger);

function master(store: ConfigStore = new MemoryStore(), now?: () => number): Master {
  return new Master({ store, logger, check, basePort: 35853, ...(now ? { now } : {}) });
}

/**
 * A heartbeat of `physical` from `address`, reporting its mapped logical nodes ACTIVE; answers the
 * specs it is to run, by logical node.
 */
async function beat(
  m: Master,
  physical: string,
  address: string,
): Promise<Map<string, { version: number; spec?: string }>> {
  await m.ready;
  const nodes = (m.mappings()[physical] ?? []).map((name) => ({ name, state: 'ACTIVE', version: 1 }));
  const hb: Heartbeat = { physical, host: physical, periodMs: 1000, nodes, address };
  return new Map((await m.heartbeat(hb)).nodes.map((n) => [n.name, n]));
}

async function ok(m: Master, cmd: string, ...args: string[]): Promise<string> {
  const r = await m.exec(cmd, args);
  assert.equal(r.state, 'SUCCEEDED', `${cmd} ${args.join(' ')}: ${r.message}`);
  return r.message;
}

/** The collectors of an agentXChain in a translated spec, in order. */
function chainOf(spec: string | undefined): string[] {
  const m = /agent(?:BE|DFO|E2E)Chain\(([^)]*)\)/.exec(spec ?? '');
  assert.ok(m, `no chain in ${spec}`);
  return [...m[1]!.matchAll(/"([^"]+)"/g)].map((x) => x[1]!);
}

test('chain orders: primaries spread evenly, every agent its own order, each chain every collector once', () => {
  for (const k of [1, 2, 3, 5]) {
    const agents = k * (k - 1) || 1;
    const orders = Array.from({ length: agents * 2 }, (_, i) => chainOrder(k, i));
    for (const o of orders)
      assert.deepEqual(
        [...o].sort(),
        Array.from({ length: k }, (_, i) => i),
      );
    const primaries = new Map<number, number>();
    for (const o of orders) primaries.set(o[0]!, (primaries.get(o[0]!) ?? 0) + 1);
    assert.ok(Math.max(...primaries.values()) - Math.min(...primaries.values()) <= 1);
    // The first k*(k-1) agents all differ in their first two choices.
    const pairs = new Set(orders.slice(0, agents).map((o) => o.slice(0, 2).join(',')));
    assert.equal(pairs.size, agents);
  }
  assert.deepEqual(chainOrder(3, 4), chainOrder(3, 4));
});

test('logicalSink and logicalSource become rpcSink and rpcSource with a port assigned per physical node', async () => {
  const m = master();
  await ok(
    m,
    'multiconfig',
    `p1 : asciisynth(5, 10) | logicalSink("c") ;
     p2 : asciisynth(5, 10) | { batch(2) => logicalSink("c") } ;
     c : logicalSource | console ;
     d : logicalSource | console ;`,
  );
  await ok(m, 'spawn', 'h1', 'p1');
  await ok(m, 'spawn', 'h1', 'p2');
  await ok(m, 'spawn', 'h3', 'c');
  await ok(m, 'spawn', 'h3', 'd');
  // Until h3 heartbeats nobody knows where it is: the producers wait on a fail sink.
  const early = await beat(m, 'h1', '10.0.0.1');
  assert.match(
    early.get('p1')!.spec!,
    /fail\("logicalSink: physical node h3 of c has not heartbeated yet"\)/,
  );
  const h3 = await beat(m, 'h3', '10.0.0.3');
  assert.equal(h3.get('c')!.spec, 'c : rpcSource(35853) | console ;');
  assert.equal(h3.get('d')!.spec, 'd : rpcSource(35854) | console ;');
  const h1 = await beat(m, 'h1', '10.0.0.1');
  assert.equal(h1.get('p1')!.spec, 'p1 : asciisynth(5, 10) | rpcSink("10.0.0.3", 35853) ;');
  assert.equal(h1.get('p2')!.spec, 'p2 : asciisynth(5, 10) | { batch(2) => rpcSink("10.0.0.3", 35853) } ;');
  assert.ok(h1.get('p1')!.version > early.get('p1')!.version, 'a new translation is a new version');
  // Translating again (another node changes) keeps ports and versions.
  const before = h1.get('p1')!.version;
  await ok(m, 'config', 'p2', 'asciisynth(6, 10)', 'logicalSink("c")');
  assert.equal((await beat(m, 'h3', '10.0.0.3')).get('c')!.spec, 'c : rpcSource(35853) | console ;');
  assert.equal((await beat(m, 'h1', '10.0.0.1')).get('p1')!.version, before);
  // getconfigs shows the translation beside what was entered.
  const table = (await m.exec('getconfigs', [])).message;
  assert.match(
    table,
    /\nc +default +\d+ +[0-9a-f]{16} +logicalSource +console +v\d+: rpcSource\(35853\) \| console\n/,
  );
});

test('moving a logical node re-points its peers; unmapped, they get a fail sink', async () => {
  const m = master();
  await ok(m, 'multiconfig', 'p : asciisynth(5, 10) | logicalSink("c") ; c : logicalSource | console ;');
  await ok(m, 'spawn', 'h1', 'p');
  await ok(m, 'spawn', 'h2', 'c');
  await beat(m, 'h2', '10.0.0.2');
  await beat(m, 'h3', '10.0.0.3');
  assert.equal(
    (await beat(m, 'h1', '10.0.0.1')).get('p')!.spec,
    'p : asciisynth(5, 10) | rpcSink("10.0.0.2", 35853) ;',
  );
  await ok(m, 'unmap', 'h2', 'c');
  const unmapped = (await beat(m, 'h1', '10.0.0.1')).get('p')!;
  assert.equal(unmapped.spec, 'p : asciisynth(5, 10) | fail("logicalSink: logical node c is not mapped") ;');
  await ok(m, 'spawn', 'h3', 'c');
  const moved = (await beat(m, 'h1', '10.0.0.1')).get('p')!;
  assert.equal(moved.spec, 'p : asciisynth(5, 10) | rpcSink("10.0.0.3", 35853) ;');
  assert.ok(moved.version > unmapped.version);
  assert.equal((await beat(m, 'h3', '10.0.0.3')).get('c')!.spec, 'c : rpcSource(35853) | console ;');
  // A name the spec language would not take as a node name still translates (config takes any).
  await ok(m, 'config', 'web-1.example', 'null', 'logicalSink("c")');
  await ok(m, 'spawn', 'h1', 'web-1.example');
  assert.equal(
    (await beat(m, 'h1', '10.0.0.1')).get('web-1.example')!.spec,
    'web-1.example : null | rpcSink("10.0.0.3", 35853) ;',
  );
  await ok(m, 'config', 'q', 'null', 'logicalSink("nosuch")');
  await ok(m, 'spawn', 'h1', 'q');
  assert.match(
    (await beat(m, 'h1', '10.0.0.1')).get('q')!.spec!,
    /fail\("logicalSink: logical node nosuch is not configured"\)/,
  );
});

/** Six agents with `sink`, three collectors (ports assigned on one physical node). */
async function fleet(m: Master, sink: string): Promise<void> {
  const agents = ['a', 'b', 'c', 'd', 'e', 'f'].map(
    (x) => `agent${x.toUpperCase()} : asciisynth(5, 10) | ${sink} ;`,
  );
  const collectors = ['A', 'B', 'C'].map((x) => `collector${x} : collectorSource | null ;`);
  await ok(m, 'multiconfig', [...agents, ...collectors].join('\n'));
  for (const x of 'ABCDEF') await ok(m, 'spawn', 'hagents', `agent${x}`);
  for (const x of 'ABC') await ok(m, 'spawn', `h${x}`, `collector${x}`);
}

test('auto chains: agentXChain over the collectors, primaries even, orders differ, recomputed as collectors go and come', async () => {
  const m = master();
  await fleet(m, 'autoE2EChain');
  const none = await beat(m, 'hagents', '10.0.1.1');
  assert.equal(
    none.get('agentA')!.spec,
    'agentA : asciisynth(5, 10) | fail("autoE2EChain: no collectors in flow (default)") ;',
  );
  for (const x of 'ABC') await beat(m, `h${x}`, `10.0.0.${x.charCodeAt(0) - 64}`);
  const specs = await beat(m, 'hagents', '10.0.1.1');
  const chains = [...'ABCDEF'].map((x) => chainOf(specs.get(`agent${x}`)!.spec));
  for (const c of chains)
    assert.deepEqual([...c].sort(), ['10.0.0.1:35853', '10.0.0.2:35853', '10.0.0.3:35853']);
  const primaries = chains.map((c) => c[0]);
  for (const p of new Set(primaries)) assert.equal(primaries.filter((x) => x === p).length, 2);
  assert.equal(new Set(chains.map((c) => c.slice(0, 2).join())).size, 6, 'each agent its own failover order');
  assert.match(specs.get('agentA')!.spec!, /^agentA : asciisynth\(5, 10\) \| agentE2EChain\("/);
  // The collector itself listens where the chains point.
  assert.equal(
    (await beat(m, 'hA', '10.0.0.1')).get('collectorA')!.spec,
    'collectorA : collectorSource(35853) | null ;',
  );

  await ok(m, 'decommission', 'collectorB');
  const two = await beat(m, 'hagents', '10.0.1.1');
  for (const x of 'ABCDEF') {
    const c = chainOf(two.get(`agent${x}`)!.spec);
    assert.deepEqual([...c].sort(), ['10.0.0.1:35853', '10.0.0.3:35853']);
    assert.ok(two.get(`agent${x}`)!.version > specs.get(`agent${x}`)!.version);
  }
  const p2 = [...'ABCDEF'].map((x) => chainOf(two.get(`agent${x}`)!.spec)[0]);
  assert.equal(p2.filter((p) => p === '10.0.0.1:35853').length, 3);

  await ok(m, 'decommission', 'collectorA');
  await ok(m, 'unmap', 'hC', 'collectorC');
  assert.match(
    (await beat(m, 'hagents', '10.0.1.1')).get('agentD')!.spec!,
    /fail\("autoE2EChain: no collectors in flow \(default\)"\)/,
  );
  await ok(m, 'spawn', 'hC', 'collectorC');
  assert.deepEqual(chainOf((await beat(m, 'hagents', '10.0.1.1')).get('agentD')!.spec), ['10.0.0.3:35853']);
});

test('a collector whose node is LOST leaves the chains, and comes back when it heartbeats again', async () => {
  let now = 1_000_000;
  const m = master(new MemoryStore(), () => now);
  await fleet(m, 'autoBEChain');
  for (const x of 'ABC') await beat(m, `h${x}`, `10.0.0.${x.charCodeAt(0) - 64}`);
  assert.equal(chainOf((await beat(m, 'hagents', '10.0.1.1')).get('agentA')!.spec).length, 3);
  now += 2_000;
  await beat(m, 'hA', '10.0.0.1');
  await beat(m, 'hC', '10.0.0.3');
  now += 2_000; // hB last heard 4 s ago, period 1 s: LOST
  await beat(m, 'hA', '10.0.0.1');
  await beat(m, 'hC', '10.0.0.3');
  const without = chainOf((await beat(m, 'hagents', '10.0.1.1')).get('agentA')!.spec);
  assert.deepEqual([...without].sort(), ['10.0.0.1:35853', '10.0.0.3:35853']);
  await beat(m, 'hB', '10.0.0.2');
  assert.equal(chainOf((await beat(m, 'hagents', '10.0.1.1')).get('agentA')!.spec).length, 3);
});

test('a lost collector stays out of the chains after a master restart, until it heartbeats again', async (t) => {
  const dir = tempDir('translate-lost', t);
  let now = 1_000_000;
  const m = master(new FileStore(dir), () => now);
  await fleet(m, 'autoBEChain');
  for (const x of 'ABC') await beat(m, `h${x}`, `10.0.0.${x.charCodeAt(0) - 64}`);
  now += 4_000;
  await beat(m, 'hA', '10.0.0.1');
  await beat(m, 'hC', '10.0.0.3');
  assert.equal(chainOf((await beat(m, 'hagents', '10.0.1.1')).get('agentA')!.spec).length, 2);
  // A restarted master has heard from no node yet: hB, lost before, is not taken back on trust.
  const again = master(new FileStore(dir), () => now);
  const after = chainOf((await beat(again, 'hagents', '10.0.1.1')).get('agentA')!.spec);
  assert.deepEqual([...after].sort(), ['10.0.0.1:35853', '10.0.0.3:35853']);
  await beat(again, 'hB', '10.0.0.2');
  assert.equal(chainOf((await beat(again, 'hagents', '10.0.1.1')).get('agentA')!.spec).length, 3);
});

test('flows: auto chains use only the collectors of their own flow', async () => {
  const m = master();
  await ok(
    m,
    'multiconfig',
    `fooNode1 : asciisynth(5, 10) | autoBEChain ;
     barNode1 : asciisynth(5, 10) | autoBEChain ;
     fooNode2 : asciisynth(5, 10) | autoDFOChain ;
     barNode2 : asciisynth(5, 10) | autoBEChain ;
     lonely : asciisynth(5, 10) | autoBEChain ;
     fooConsumer : collectorSource | null ;
     barConsumer : collectorSource | null ;`,
  );
  assert.match(await ok(m, 'spawn', 'host1', 'fooNode1', 'flowfoo'), /in flow flowfoo/);
  await ok(m, 'spawn', 'host1', 'barNode1', 'flowbar');
  await ok(m, 'spawn', 'host2', 'fooNode2', 'flowfoo');
  await ok(m, 'spawn', 'host2', 'barNode2', 'flowbar');
  await ok(m, 'spawn', 'host2', 'lonely');
  await ok(m, 'spawn', 'host3', 'fooConsumer', 'flowfoo');
  await ok(m, 'spawn', 'host3', 'barConsumer', 'flowbar');
  const h3 = await beat(m, 'host3', '10.0.0.3');
  // Ports are given as nodes are spawned, and kept.
  assert.equal(h3.get('fooConsumer')!.spec, 'fooConsumer : collectorSource(35853) | null ;');
  assert.equal(h3.get('barConsumer')!.spec, 'barConsumer : collectorSource(35854) | null ;');
  const h1 = await beat(m, 'host1', '10.0.0.1');
  const h2 = await beat(m, 'host2', '10.0.0.2');
  assert.deepEqual(chainOf(h1.get('fooNode1')!.spec), ['10.0.0.3:35853']);
  assert.deepEqual(chainOf(h2.get('fooNode2')!.spec), ['10.0.0.3:35853']);
  assert.match(h2.get('fooNode2')!.spec!, /agentDFOChain/);
  assert.deepEqual(chainOf(h1.get('barNode1')!.spec), ['10.0.0.3:35854']);
  assert.deepEqual(chainOf(h2.get('barNode2')!.spec), ['10.0.0.3:35854']);
  assert.match(h2.get('lonely')!.spec!, /fail\("autoBEChain: no collectors in flow \(default\)"\)/);
  assert.match((await m.exec('getconfigs', [])).message, /\nfooNode1 +flowfoo /);
});

test('flows, ports and translations are in the store: a restarted master hands out the same', async (t) => {
  const dir = tempDir('master-translate', t);
  const m = master(new FileStore(dir));
  await ok(
    m,
    'multiconfig',
    'a : asciisynth(5, 10) | autoBEChain ; c : collectorSource | null ; d : logicalSource | null ;',
  );
  await ok(m, 'spawn', 'h1', 'a', 'f1');
  await ok(m, 'spawn', 'h2', 'd');
  await ok(m, 'spawn', 'h2', 'c', 'f1');
  await beat(m, 'h2', '10.0.0.2');
  const first = (await beat(m, 'h1', '10.0.0.1')).get('a')!;
  assert.deepEqual(chainOf(first.spec), ['10.0.0.2:35854']);
  const again = master(new FileStore(dir));
  assert.deepEqual((await beat(again, 'h1', '10.0.0.1')).get('a'), first);
  assert.equal(again.flows().a, 'f1');
});
