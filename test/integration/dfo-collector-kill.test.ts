// The collector is killed with SIGKILL mid-stream and restarted: under disk failover nothing is lost
// (the agent spills while it is down and drains after); under best effort the losses fall in the
// outage and the agent counts them. Agent, collector and sender are separate processes on loopback;
// the collector forwards to a receiver in this process, answering its agent OK only after the
// receiver did, so "received" is exactly what the collector took.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { allReceived, kill, missing, Rig, tally } from '../support/reliability.js';
import { waitFor } from '../support/wait.js';

const TOTAL = 20_000;
const RATE = 4000;
const BE_TOTAL = 60_000;

/** Sends `total` events; kills the collector after 5000 and restarts it 4000 events later. */
async function killCollectorMidStream(
  t: { after(fn: () => unknown): void },
  sink: (port: number) => string,
  total = TOTAL,
) {
  const rig = await Rig.create(t, 'dfo-kill', (dir) => ({
    'flume.agent.logdir': `${dir}/logdir`,
    'flume.agent.logdir.maxage': 1000,
  }));
  // Ports picked by the kernel at the first start (no race for a port found free); the restart reuses it.
  const collector = await rig.collector(0);
  const cport = collector.port;
  const agent = await rig.agent(0, sink(cport));
  const send = rig.sender(agent.port, total, RATE);
  await waitFor(() => send.sent() >= 5000, 'the sender half way', 30_000, 20);
  const atKill = send.sent();
  await kill(collector, 'SIGKILL');
  // The agent keeps accepting while its collector is gone.
  await waitFor(() => send.sent() >= atKill + 4000, 'the sender going on during the outage', 30_000, 20);
  await rig.collector(cport);
  // Delivery resumed: the agent reached the new collector.
  const before = rig.receiver.distinct;
  await waitFor(() => rig.receiver.distinct > before, 'delivery after the restart', 30_000, 10);
  const atResume = send.sent();
  assert.equal(await send.exit, 0, send.text());
  return { rig, agent, atKill, atResume };
}

test('DFO: the collector killed with SIGKILL mid-stream and restarted loses nothing', async (t) => {
  const { rig, agent } = await killCollectorMidStream(
    t,
    (port) => `agentDFOSink("127.0.0.1", ${port}, connectTimeout=1000, requestTimeout=3000)`,
  );
  await allReceived(TOTAL, 60_000, rig.receiver).catch((e: Error) => {
    throw new Error(`${e.message}\nagent:\n${agent.text()}`);
  });
  const r = tally('DFO, collector SIGKILLed and restarted', TOTAL, rig.receiver);
  assert.equal(r.lost, 0);
  // Only batches in flight at the kill can arrive twice (sent on, unanswered, spilled).
  assert.ok(r.duplicated <= 2000, `duplicated ${r.duplicated}`);
  assert.match(agent.text(), /failing \(.*\)/, 'the agent logs the outage');
  assert.equal(await kill(agent), 0, agent.text());
});

test('DFO: events spilled while the collector is down survive SIGKILL of the agent and drain after its restart', async (t) => {
  const rig = await Rig.create(t, 'dfo-agent-kill', (dir) => ({
    'flume.agent.logdir': `${dir}/logdir`,
    'flume.agent.logdir.maxage': 500,
  }));
  // Nothing listens on the collector's port until the collector starts there.
  const cport = await freePort();
  const sink = `agentDFOSink("127.0.0.1", ${cport}, connectTimeout=1000)`;
  const agent = await rig.agent(0, sink);
  const aport = agent.port;
  const total = 5000;
  const send = rig.sender(aport, total, 10_000);
  assert.equal(await send.exit, 0, send.text());
  // Every event was answered OK by the agent, so every one is on its disk now.
  await kill(agent, 'SIGKILL');
  await rig.collector(cport);
  const again = await rig.agent(aport, sink);
  await allReceived(total, 30_000, rig.receiver).catch((e: Error) => {
    throw new Error(`${e.message}\nagent:\n${again.text()}`);
  });
  const r = tally('DFO, agent SIGKILLed with a backlog and restarted', total, rig.receiver);
  assert.equal(r.lost, 0);
  assert.equal(r.duplicated, 0);
  assert.match(again.text(), /5000 events left in .* by an earlier run/);
  assert.equal(await kill(again), 0, again.text());
});

test('BE: the collector killed with SIGKILL loses events only during the outage, and the agent counts them', async (t) => {
  // Best effort has no backlog to show delivery resumed: the sender must still be sending when the
  // restarted collector is up, which on a loaded machine can take seconds. 60,000 events: 15 s.
  const { rig, agent, atKill, atResume } = await killCollectorMidStream(
    t,
    (port) => `agentBESink("127.0.0.1", ${port}, connectTimeout=1000, requestTimeout=3000)`,
    BE_TOTAL,
  );
  // Every event the sender got an answer for was delivered or dropped, but for the few batches still
  // in the agent's pipeline: stopping the agent settles those, and its summary has the count. A node
  // that dropped events ends with status 1 (docs/cli.md, the run rule).
  assert.equal(await kill(agent), 1, agent.text());
  const r = tally('BE, collector SIGKILLed and restarted', BE_TOTAL, rig.receiver);
  const dropped = Number(/agentBESink: \d+ delivered, (\d+) dropped/.exec(agent.text())?.[1] ?? -1);
  process.stdout.write(`# BE: the agent counted ${dropped} dropped\n`);
  assert.ok(r.lost > 0, 'a 1 s+ outage at 4000 events/s loses events under best effort');
  assert.equal(r.duplicated, 0, 'best effort never sends twice to one collector');
  // A batch the collector took but did not answer before it died counts as dropped and arrived.
  assert.ok(dropped >= r.lost && dropped - r.lost <= 1000, `dropped ${dropped}, lost ${r.lost}`);
  // Losses lie in the outage: from the batches in flight at the kill to those in flight when delivery
  // resumed (the first re-check of the collector, at most BEST_EFFORT_RECHECK_MS after its restart).
  const lost = missing(BE_TOTAL, rig.receiver);
  assert.ok(lost[0]! >= atKill - 2000, `first loss e${lost[0]} before the kill at e${atKill}`);
  assert.ok(
    lost[lost.length - 1]! <= atResume + 2000,
    `last loss e${lost.at(-1)} after delivery resumed at e${atResume}`,
  );
});
