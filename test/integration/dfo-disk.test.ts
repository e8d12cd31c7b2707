// The disk-failover log directory cannot take the spill: read-only, or full (a small tmpfs mounted by
// the test). The agent says so in one line naming the directory, its node goes to ERROR and the
// process ends with status 1 without a crash; what it had accepted is on the disk and reaches the
// collector after the agent is started again with room.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { allReceived, kill, Rig, tally } from '../support/reliability.js';
import { mountTmpfs } from '../support/tmpfs.js';
import { waitFor } from '../support/wait.js';

/** No stack trace, no uncaught exception: the failure is a logged node state. */
function assertNoCrash(text: string): void {
  assert.doesNotMatch(text, /\n\s+at \S+ \(|Uncaught|TypeError|RangeError/, text);
}

test('a read-only log directory: one clear line, node ERROR, status 1', async (t) => {
  const ro = mountTmpfs('1m', t, { subdirs: ['agent/dfo'] });
  const rig = await Rig.create(t, 'dfo-ro', () => ({ 'flume.agent.logdir': ro.dir }));
  const agent = rig.node(`agent : asciisynth(100, 10) | agentDFOSink("127.0.0.1", ${await freePort()}) ;`);
  const code = await agent.exit;
  const text = agent.text();
  assert.equal(code, 1, text);
  assert.match(
    text,
    /node agent failed: .*agent log directory .*\/agent\/dfo: .*read-only file system/,
    text,
  );
  assertNoCrash(text);
});

test('a full log directory: node ERROR without a crash, and accepted events are not lost', async (t) => {
  const disk = mountTmpfs('256k', t);
  const rig = await Rig.create(t, 'dfo-full', () => ({
    'flume.agent.logdir': disk.dir,
    'flume.agent.logdir.maxage': 500,
  }));
  // Nothing listens on the collector's port until the collector starts there.
  const cport = await freePort();
  const sink = `agentDFOSink("127.0.0.1", ${cport}, connectTimeout=500)`;
  const agent = await rig.agent(0, sink);
  const aport = agent.port;
  // No collector yet: everything is spilled until the small disk is full.
  const total = 20_000;
  const send = rig.sender(aport, total, 20_000);
  const code = await agent.exit;
  const text = agent.text();
  const accepted = send.sent();
  process.stdout.write(`# full disk: the agent accepted ${accepted} events before its log filled\n`);
  assert.equal(code, 1, text);
  assert.match(text, /cannot spill to the disk-failover log .*\(ENOSPC\): free space/, text);
  assert.match(text, /node agent failed/, text);
  assertNoCrash(text);
  assert.ok(accepted > 0 && accepted < total);

  // Room again, a collector, the agent again: the spill drains and the sender (which retried what
  // the dead agent never answered) finishes.
  disk.resize('64m');
  await rig.collector(cport);
  const again = await rig.agent(aport, sink);
  await waitFor(
    () => /events left in .* by an earlier run/.test(again.text()),
    () => again.text(),
    30_000,
    20,
  );
  assert.equal(await send.exit, 0, send.text());
  await allReceived(total, 60_000, rig.receiver).catch((e: Error) => {
    throw new Error(`${e.message}\nagent:\n${again.text()}`);
  });
  const r = tally('DFO, log directory full then given room', total, rig.receiver);
  assert.equal(r.lost, 0);
  assert.ok(r.duplicated <= 1000, `duplicated ${r.duplicated}`);
  assert.equal(await kill(again), 0, again.text());
});
