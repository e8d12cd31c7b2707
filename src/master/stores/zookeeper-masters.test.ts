// Two masters in this process on a real ZooKeeper (Debian's package, one server on loopback): the
// election, the node status each publishes and merges, and the leader's lost-collector decision from
// nodes that heartbeat to the other master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { peerSkip } from '../../../test/support/peers.js';
import { waitFor } from '../../../test/support/wait.js';
import { startZooKeeper } from '../../../test/support/zookeeper.js';
import { memoryLogger } from '../../core/logger.js';
import { Master } from '../master.js';
import { ZooKeeperStore } from './zookeeper.js';

const PERIOD = 100;

test('two masters: one leads; nodes heartbeating to one are listed by the other; the leader decides from the whole fleet', {
  skip: peerSkip('zookeeper'),
  timeout: 120_000,
}, async (t) => {
  const zk = await startZooKeeper(t, 1);
  const logger = memoryLogger();
  const root = '/sluice-test/masters';
  const open = async () => {
    const store = await ZooKeeperStore.open({ servers: zk.connectString, root, logger });
    t.after(() => store.close());
    return store;
  };
  const started = async (address: string) => {
    const m = new Master({ store: await open(), logger, address, statusPeriodMs: PERIOD });
    await m.ready;
    return m;
  };
  // B first: it leads, while every node heartbeats to A.
  const storeB = await open();
  const b = new Master({ store: storeB, logger, address: 'B:1', statusPeriodMs: PERIOD });
  await waitFor(() => b.leads(), 'master B to lead, alone', 30_000, 20);
  const a = await started('A:1');
  const setup = await a.exec('multiconfig', [
    'c1 : collectorSource | null ; c2 : collectorSource | null ; agent : null | autoBEChain ;',
  ]);
  assert.equal(setup.state, 'SUCCEEDED', setup.message);

  // Simulated physical nodes (each its own address), heartbeating to A every period while alive.
  const alive = new Set(['c1', 'c2', 'agent']);
  const address: Record<string, string> = { c1: '10.0.0.1', c2: '10.0.0.2', agent: '10.0.0.3' };
  const beat = () =>
    Promise.all(
      [...alive].map((n) =>
        a.heartbeat({
          physical: n,
          host: `host-${n}`,
          instance: `process-${n}`,
          periodMs: PERIOD,
          address: address[n],
          nodes: [{ name: n, state: 'ACTIVE', version: 1, applied: 'APPLIED' }],
        }),
      ),
    );
  let beating = true;
  const pump = (async () => {
    while (beating) {
      await beat();
      await new Promise((r) => setTimeout(r, PERIOD));
    }
  })();
  t.after(async () => {
    beating = false;
    await pump;
  });

  // B lists the nodes it never heard from, ACTIVE, as A published them.
  const listed = (m: Master) =>
    m
      .nodeStatus()
      .map((s) => `${s.name} ${s.physical} ${s.host} ${s.state} ${s.applied ?? '-'}`)
      .join('\n');
  await waitFor(
    () =>
      listed(b) ===
      'agent agent host-agent ACTIVE APPLIED\nc1 c1 host-c1 ACTIVE APPLIED\nc2 c2 host-c2 ACTIVE APPLIED',
    () => `master B to list A's nodes ACTIVE:\n${listed(b)}`,
    30_000,
    20,
  );
  assert.equal(a.leads(), false, 'only one master leads');
  // A second process claiming c2's name at B, while c2 heartbeats to A, is refused by B.
  await assert.rejects(
    b.heartbeat({
      physical: 'c2',
      host: 'intruder',
      instance: 'another-process',
      periodMs: PERIOD,
      nodes: [],
    }),
    /physical node "c2" is already heartbeating to another master from host-c2; a second process \(on intruder\) claims its name/,
  );
  assert.ok(logger.lines.some((l) => /^WARN refused: physical node "c2"/.test(l)));
  const seenFromB = await b.masters();
  assert.deepEqual(
    seenFromB.map((m) => [m.address, m.leads, m.self]),
    [
      ['B:1', true, true],
      ['A:1', false, false],
    ],
  );
  assert.equal(seenFromB[1]!.nodes, 3, 'A has the three nodes');
  assert.deepEqual(
    (await a.masters()).map((m) => [m.address, m.leads, m.self, m.nodes]),
    [
      ['B:1', true, false, 0],
      ['A:1', false, true, 3],
    ],
  );

  // c1 stops: B, the leader, sees it lost in what A published and leaves it out of the agent's chain;
  // A, which the nodes heartbeat to, hands the agent that translation.
  const chain = () => a.translations().agent?.spec ?? '';
  await waitFor(
    () =>
      chain().includes('agentBEChain("10.0.0.1:35853", "10.0.0.2:35853")') ||
      chain().includes('agentBEChain("10.0.0.2:35853", "10.0.0.1:35853")'),
    () => `the agent to chain over both collectors: ${chain()}`,
    30_000,
    20,
  );
  alive.delete('c1');
  await waitFor(
    () => chain() === 'agent : null | agentBEChain("10.0.0.2:35853") ;',
    () => `the leader to leave c1 out of the agent's chain: ${chain()}`,
    30_000,
    20,
  );
  assert.ok(
    logger.lines.some((l) => /^INFO translated again: agent/.test(l)),
    logger.lines.join('\n'),
  );
  await waitFor(
    () => /^c1 c1 host-c1 LOST/m.test(listed(b)),
    () => `B to show c1 LOST:\n${listed(b)}`,
    30_000,
    20,
  );

  // B leaves (its session closed): A leads, and a collector lost now still leaves the chains.
  await storeB.close();
  await waitFor(() => a.leads(), 'master A to lead once B is gone', 30_000, 20);
  alive.delete('c2');
  await waitFor(
    () => chain() === 'agent : null | fail("autoBEChain: no collectors in flow (default)") ;',
    () => `the new leader to leave c2 out: ${chain()}`,
    30_000,
    20,
  );
  alive.add('c1');
  await waitFor(
    () => chain() === 'agent : null | agentBEChain("10.0.0.1:35853") ;',
    () => `c1 back in the chain: ${chain()}`,
    30_000,
    20,
  );
  assert.deepEqual(
    (await a.masters()).map((m) => [m.address, m.leads, m.self]),
    [['A:1', true, true]],
  );
});

test("a node unmapped through one master is not listed from another master's publication", {
  skip: peerSkip('zookeeper'),
  timeout: 120_000,
}, async (t) => {
  const zk = await startZooKeeper(t, 1);
  const logger = memoryLogger();
  const open = async (address: string) => {
    const store = await ZooKeeperStore.open({
      servers: zk.connectString,
      root: '/sluice-test/unmap',
      logger,
    });
    t.after(() => store.close());
    const m = new Master({ store, logger, address, statusPeriodMs: PERIOD });
    await m.ready;
    return m;
  };
  const a = await open('A:1');
  const b = await open('B:1');
  await a.heartbeat({
    physical: 'h1',
    host: 'h',
    periodMs: 60_000,
    nodes: [{ name: 'h1', state: 'IDLE', version: 0 }],
  });
  await waitFor(() => b.nodeStatus().some((s) => s.name === 'h1'), 'B to list h1', 30_000, 20);
  assert.equal((await b.exec('unmap', ['h1', 'h1'])).state, 'SUCCEEDED');
  await waitFor(() => a.mappings().h1?.length === 0, 'A to see the unmap', 30_000, 20);
  // A still heard h1 last; B, whose state says h1 is mapped nowhere, leaves A's report of it out.
  assert.deepEqual(b.nodeStatus(), []);
});

test('the leader forgets the published status of a master stopped for good, once it is old enough', {
  skip: peerSkip('zookeeper'),
  timeout: 120_000,
}, async (t) => {
  const zk = await startZooKeeper(t, 1);
  const logger = memoryLogger();
  const root = '/sluice-test/forget';
  const open = async (address: string) => {
    const store = await ZooKeeperStore.open({ servers: zk.connectString, root, logger });
    t.after(() => store.close());
    const m = new Master({ store, logger, address, statusPeriodMs: PERIOD, forgetStoppedMastersMs: 1500 });
    await m.ready;
    return { store, m };
  };
  const b = await open('B:1');
  await waitFor(() => b.m.leads(), 'master B to lead, alone', 30_000, 20);
  const a = await open('A:1');
  await a.m.heartbeat({
    physical: 'h1',
    host: 'host-of-a',
    periodMs: PERIOD,
    nodes: [{ name: 'h1', state: 'IDLE', version: 0 }],
  });
  const fromA = () => b.m.nodeStatus().find((s) => s.name === 'h1' && s.host === 'host-of-a');
  await waitFor(() => fromA() !== undefined, 'B to list the node A heard', 30_000, 20);
  const parts = () =>
    b.store.call<string[]>((c, cb) => c.getChildren(`${root}/status`, cb), 'listing the status parts');
  assert.ok(
    (await parts()).some((p) => p.startsWith('A%3A1#')),
    (await parts()).join(' '),
  );
  // A stops for good: its status stays (its nodes turn LOST) until it is old enough, then B removes it.
  await a.store.close();
  await waitFor(
    () => logger.lines.some((l) => /forgetting the node status of master A:1, stopped for \d+ s/.test(l)),
    () => `B to forget A's status:\n${logger.lines.join('\n')}`,
    30_000,
    50,
  );
  await waitFor(
    async () => !(await parts()).some((p) => p.startsWith('A%3A1#')),
    "A's parts to be removed",
    30_000,
    50,
  );
  await waitFor(() => fromA() === undefined, 'B to stop listing what A heard', 30_000, 20);
});
