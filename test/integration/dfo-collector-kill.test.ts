// The collector is killed with SIGKILL mid-stream and restarted: under disk failover nothing is lost
// (the agent spills while it is down and drains after); under best effort the losses fall in the
// outage and the agent counts them. Agent, collector and sender are separate processes on loopback;
// the collector forwards to a receiver in this process, answering its agent OK only after the
// receiver did, so "received" is exactly what the collector took.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { AvroReceiver } from '../support/avro-receiver.js';
import {
  allReceived,
  kill,
  missing,
  node,
  type Proc,
  sender,
  siteConf,
  tally,
} from '../support/reliability.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';

const TOTAL = 20_000;
const RATE = 4000;

async function setup(t: { after(fn: () => unknown): void }, agentSink: (port: number) => string) {
  const dir = tempDir('dfo-kill', t);
  const receiver = new AvroReceiver();
  const rport = await receiver.listen();
  const cport = await freePort();
  const aport = await freePort();
  const conf = siteConf(dir, { 'flume.agent.logdir': `${dir}/logdir`, 'flume.agent.logdir.maxage': 1000 });
  const collectorSpec = `collector : collectorSource(${cport}, bind="127.0.0.1") | rpcSink("127.0.0.1", ${rport}) ;`;
  const procs: Proc[] = [];
  const startCollector = async () => {
    const c = node(collectorSpec, conf);
    procs.push(c);
    await waitForPort(cport, `the collector on ${cport}`);
    return c;
  };
  const collector = await startCollector();
  const agent = node(`agent : avroSource(${aport}, bind="127.0.0.1") | ${agentSink(cport)} ;`, conf);
  procs.push(agent);
  t.after(async () => {
    for (const p of procs) await kill(p, 'SIGKILL');
    await receiver.close();
  });
  await waitForPort(aport, `the agent on ${aport}`);
  return { receiver, collector, agent, startCollector, aport, procs };
}

test('DFO: the collector killed with SIGKILL mid-stream and restarted loses nothing', async (t) => {
  const s = await setup(
    t,
    (port) => `agentDFOSink("127.0.0.1", ${port}, connectTimeout=1000, requestTimeout=3000)`,
  );
  const send = sender(s.aport, TOTAL, RATE);
  s.procs.push(send);
  await waitFor(() => send.sent() >= 5000, 'the sender half way', 30_000, 20);
  await kill(s.collector, 'SIGKILL');
  const atKill = send.sent();
  // The agent keeps accepting (spilling) while its collector is gone.
  await waitFor(() => send.sent() >= atKill + 4000, 'the sender going on during the outage', 30_000, 20);
  const collector2 = await s.startCollector();
  assert.equal(await send.exit, 0, send.text());
  await allReceived(TOTAL, 60_000, s.receiver).catch((e: Error) => {
    throw new Error(`${e.message}\nagent:\n${s.agent.text()}`);
  });
  const r = tally('DFO, collector SIGKILLed and restarted', TOTAL, s.receiver);
  assert.equal(r.lost, 0);
  // Only batches in flight at the kill can arrive twice (sent on, unanswered, spilled).
  assert.ok(r.duplicated <= 2000, `duplicated ${r.duplicated}`);
  assert.match(s.agent.text(), /failing \(.*\)/, 'the agent logs the outage');
  assert.equal(await kill(s.agent), 0, s.agent.text());
  await kill(collector2);
});

test('DFO: events spilled while the collector is down survive SIGKILL of the agent and drain after its restart', async (t) => {
  const dir = tempDir('dfo-agent-kill', t);
  const receiver = new AvroReceiver();
  const rport = await receiver.listen();
  const cport = await freePort();
  const aport = await freePort();
  const conf = siteConf(dir, { 'flume.agent.logdir': `${dir}/logdir`, 'flume.agent.logdir.maxage': 500 });
  const agentSpec = `agent : avroSource(${aport}, bind="127.0.0.1") | agentDFOSink("127.0.0.1", ${cport}, connectTimeout=1000) ;`;
  const procs: Proc[] = [];
  t.after(async () => {
    for (const p of procs) await kill(p, 'SIGKILL');
    await receiver.close();
  });
  const agent = node(agentSpec, conf);
  procs.push(agent);
  await waitForPort(aport);
  const total = 5000;
  const send = sender(aport, total, 10_000);
  procs.push(send);
  assert.equal(await send.exit, 0, send.text());
  // Every event was answered OK by the agent, so every one is on its disk now.
  await kill(agent, 'SIGKILL');
  const collector = node(
    `collector : collectorSource(${cport}, bind="127.0.0.1") | rpcSink("127.0.0.1", ${rport}) ;`,
    conf,
  );
  procs.push(collector);
  await waitForPort(cport);
  const again = node(agentSpec, conf);
  procs.push(again);
  await allReceived(total, 30_000, receiver).catch((e: Error) => {
    throw new Error(`${e.message}\nagent:\n${again.text()}`);
  });
  const r = tally('DFO, agent SIGKILLed with a backlog and restarted', total, receiver);
  assert.equal(r.lost, 0);
  assert.equal(r.duplicated, 0);
  assert.match(again.text(), /5000 events left in .* by an earlier run/);
  assert.equal(await kill(again), 0, again.text());
});

test('BE: the collector killed with SIGKILL loses events only during the outage, and the agent counts them', async (t) => {
  const s = await setup(
    t,
    (port) => `agentBESink("127.0.0.1", ${port}, connectTimeout=1000, requestTimeout=3000)`,
  );
  const send = sender(s.aport, TOTAL, RATE);
  s.procs.push(send);
  await waitFor(() => send.sent() >= 5000, 'the sender half way', 30_000, 20);
  const atKill = send.sent();
  await kill(s.collector, 'SIGKILL');
  await waitFor(() => send.sent() >= atKill + 4000, 'the sender going on during the outage', 30_000, 20);
  const collector2 = await s.startCollector();
  const atRestart = send.sent();
  assert.equal(await send.exit, 0, send.text());
  // Events after the outage arrive: wait for the last one, then for the stream to settle.
  await waitFor(() => s.receiver.counts.has(`e${TOTAL - 1}`), 'the last event', 60_000, 50);
  assert.equal(await kill(s.agent), 0, s.agent.text());
  const r = tally('BE, collector SIGKILLed and restarted', TOTAL, s.receiver);
  const dropped = Number(/agentBESink: \d+ delivered, (\d+) dropped/.exec(s.agent.text())?.[1] ?? -1);
  process.stdout.write(`# BE: the agent counted ${dropped} dropped\n`);
  assert.ok(r.lost > 0, 'a 1 s+ outage at 4000 events/s loses events under best effort');
  assert.equal(r.duplicated, 0, 'best effort never sends twice');
  // A batch the collector took but did not answer before it died counts as dropped and arrived.
  assert.ok(dropped >= r.lost && dropped - r.lost <= 1000, `dropped ${dropped}, lost ${r.lost}`);
  // Losses lie in the outage: from a few batches in flight at the kill to the first re-check of the
  // collector after its restart (at most BEST_EFFORT_RECHECK_MS, 1 s = RATE events, later).
  const lost = missing(TOTAL, s.receiver);
  assert.ok(lost[0]! >= atKill - 2000, `first loss e${lost[0]} before the kill at e${atKill}`);
  assert.ok(
    lost[lost.length - 1]! <= atRestart + RATE + 2000,
    `last loss e${lost.at(-1)} long after the restart at e${atRestart}`,
  );
  await kill(collector2);
});
