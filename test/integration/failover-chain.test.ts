// A chain of two collectors, each its own process forwarding to its own receiver: the primary is
// killed with SIGKILL, events reach the secondary within 5 s, and come back to the primary once it is
// restarted. Under agentDFOChain nothing is lost; under agentBEChain the secondary takes over so fast
// that losses (and duplicates) stay within the batches in flight at the kill.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AvroReceiver } from '../support/avro-receiver.js';
import { allReceived, kill, Rig, tally } from '../support/reliability.js';
import { waitFor } from '../support/wait.js';

const TOTAL = 40_000;
const RATE = 2000;

async function chain(t: { after(fn: () => unknown): void }, sink: (p1: number, p2: number) => string) {
  const rig = await Rig.create(t, 'chain', (dir) => ({
    'flume.agent.logdir': `${dir}/logdir`,
    'flume.agent.logdir.maxage': 1000,
  }));
  // The secondary forwards to a receiver of its own, so the test sees which collector took what.
  const r1 = rig.receiver;
  const r2 = new AvroReceiver();
  const rp2 = await r2.listen();
  t.after(() => r2.close());
  // Ports picked by the kernel at the first starts (no race for a port found free); the primary's
  // restart reuses its own.
  const c1 = await rig.collector(0);
  const p1 = c1.port;
  const p2 = (await rig.collector(0, '127.0.0.1', rp2)).port;
  const agent = await rig.agent(0, sink(p1, p2));
  const send = rig.sender(agent.port, TOTAL, RATE);
  return { r1, r2, c1, agent, send, restartPrimary: () => rig.collector(p1) };
}

/** Kills the primary, checks the secondary takes over within 5 s and the primary gets traffic back. */
async function failAndReturn(s: Awaited<ReturnType<typeof chain>>): Promise<void> {
  await waitFor(() => s.r1.distinct >= 4000, 'traffic on the primary', 30_000, 20);
  assert.equal(s.r2.distinct, 0, 'nothing goes to the secondary while the primary is up');
  const killedAt = Date.now();
  await kill(s.c1, 'SIGKILL');
  const before = s.r2.distinct;
  await waitFor(() => s.r2.distinct > before, 'events on the secondary', 5000, 10);
  const took = Date.now() - killedAt;
  process.stdout.write(`# the secondary took over ${took} ms after the primary was killed\n`);
  assert.ok(took <= 5000);
  await waitFor(() => s.r2.distinct >= before + 2000, 'the secondary carrying the stream', 30_000, 20);
  const c1 = await s.restartPrimary();
  const back = Date.now();
  const onPrimary = s.r1.distinct;
  await waitFor(() => s.r1.distinct > onPrimary + 1000, 'traffic back on the primary', 30_000, 20);
  process.stdout.write(`# traffic returned to the primary ${Date.now() - back} ms after its restart\n`);
  // Back on the primary for good: the secondary stops growing.
  const onSecondary = s.r2.distinct;
  await waitFor(() => s.r1.distinct > onPrimary + 4000, 'more traffic on the primary', 30_000, 20);
  assert.ok(s.r2.distinct - onSecondary <= 500, 'the secondary no longer gets the stream');
  assert.equal(await s.send.exit, 0, s.send.text());
  s.c1 = c1;
}

test('agentDFOChain: primary killed, secondary within 5 s, back to the primary, nothing lost', async (t) => {
  const s = await chain(t, (p1, p2) => `agentDFOChain("127.0.0.1:${p1}", "127.0.0.1:${p2}")`);
  await failAndReturn(s);
  await allReceived(TOTAL, 60_000, s.r1, s.r2).catch((e: Error) => {
    throw new Error(`${e.message}\nagent:\n${s.agent.text()}`);
  });
  const r = tally('agentDFOChain, primary SIGKILLed and restarted', TOTAL, s.r1, s.r2);
  assert.equal(r.lost, 0);
  assert.ok(r.duplicated <= 1000, `duplicated ${r.duplicated}`);
  assert.equal(await kill(s.agent), 0, s.agent.text());
});

test('agentBEChain: primary killed, secondary within 5 s, back to the primary, losses only at the kill, drops counted', async (t) => {
  const s = await chain(t, (p1, p2) => `agentBEChain("127.0.0.1:${p1}", "127.0.0.1:${p2}")`);
  await failAndReturn(s);
  await waitFor(() => s.r1.counts.has(`e${TOTAL - 1}`), 'the last event', 30_000, 50);
  assert.equal(await kill(s.agent), 0, s.agent.text());
  const r = tally('agentBEChain, primary SIGKILLed and restarted', TOTAL, s.r1, s.r2);
  const dropped = Number(/agentBEChain: \d+ delivered, (\d+) dropped/.exec(s.agent.text())?.[1] ?? -1);
  process.stdout.write(`# BE chain: the agent counted ${dropped} dropped\n`);
  assert.ok(dropped >= r.lost, `lost ${r.lost} but counted ${dropped} dropped`);
  assert.ok(r.lost <= 1000, 'with a live secondary only batches in flight at the kill are lost');
  // A batch the primary forwarded but did not answer before it died goes to the secondary as well.
  assert.ok(r.duplicated <= 1000, `duplicated ${r.duplicated}`);
});
