// A network partition between an agent and its collector, made with a network namespace: the agent
// (and the sender feeding it) run in the namespace, the collector and its receiver on this side; the
// veth link between them goes down for 20 s, then up. Under disk failover nothing is lost, the backlog
// drains after the partition heals, and the agent reports the outage when it starts and ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNetns } from '../support/netns.js';
import { allReceived, kill, Rig, tally } from '../support/reliability.js';
import { waitFor } from '../support/wait.js';

const TOTAL = 30_000;
const RATE = 1000;
const PARTITION_MS = 20_000;

test('DFO across a 20 s network partition: nothing lost, the backlog drains, the outage is reported', async (t) => {
  // The rig first: its processes are killed before the namespace they run in is deleted.
  const rig = await Rig.create(t, 'dfo-partition', (dir) => ({
    'flume.agent.logdir': `${dir}/logdir`,
    'flume.agent.logdir.maxage': 1000,
  }));
  const ns = createNetns(t);
  const receiver = rig.receiver;
  // Ports picked by the kernel (no race for a port found free), read from the start-up lines.
  const cport = (await rig.collector(0, ns.hostIp)).port;
  const agent = await rig.agent(
    0,
    `agentDFOSink("${ns.hostIp}", ${cport}, connectTimeout=1000, requestTimeout=2000)`,
    ns.name,
  );
  const send = rig.sender(agent.port, TOTAL, RATE, ns.name);
  await waitFor(() => receiver.distinct >= 5000, 'traffic through the link', 30_000, 20);

  ns.partition();
  const cutAt = receiver.distinct;
  const sentAtCut = send.sent();
  await new Promise((r) => setTimeout(r, PARTITION_MS)); // the partition itself: a duration, not a wait for a condition
  const duringPartition = receiver.distinct - cutAt;
  const spilledBy = send.sent();
  ns.heal();
  process.stdout.write(
    `# partition: ${duringPartition} events arrived while cut off (in flight at the cut); the sender was at ${spilledBy}\n`,
  );
  assert.ok(duringPartition <= 1000, 'the link was really cut');
  // 20 s at 1000 events/s: 20,000 if the sender keeps its rate; 2,000 still shows the agent accepting
  // when a loaded machine slows the sender tenfold.
  assert.ok(
    spilledBy - sentAtCut >= 2000,
    `the agent kept accepting events during the partition (${spilledBy - sentAtCut})`,
  );

  assert.equal(await send.exit, 0, send.text());
  await allReceived(TOTAL, 90_000, receiver).catch((e: Error) => {
    throw new Error(`${e.message}\nagent:\n${agent.text()}`);
  });
  const r = tally('DFO, 20 s partition', TOTAL, receiver);
  assert.equal(r.lost, 0);
  assert.ok(r.duplicated <= 1000, `duplicated ${r.duplicated}`);
  const log = agent.text();
  assert.match(log, /failing \(/, 'the agent reports the outage when it starts');
  assert.match(log, /delivering again after \d+ failed attempts/, 'and when it ends');
  assert.equal(await kill(agent), 0, log);
});
