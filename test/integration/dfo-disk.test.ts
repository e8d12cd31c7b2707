// The disk-failover log directory cannot take the spill: read-only, or full (a small tmpfs mounted by
// the test). The agent says so in one line naming the directory, its node goes to ERROR and the
// process ends with status 1 without a crash; what it had accepted is on the disk and reaches the
// collector after the agent is started again with room.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { AvroReceiver } from '../support/avro-receiver.js';
import { allReceived, kill, node, type Proc, sender, siteConf, tally } from '../support/reliability.js';
import { tempDir } from '../support/tmp.js';
import { mountTmpfs, tmpfsSkip } from '../support/tmpfs.js';
import { waitFor, waitForPort } from '../support/wait.js';

/** No stack trace, no uncaught exception: the failure is a logged node state. */
function assertNoCrash(text: string): void {
  assert.doesNotMatch(text, /\n\s+at \S+ \(|Uncaught|TypeError|RangeError/, text);
}

test('a read-only log directory: one clear line, node ERROR, status 1', { skip: tmpfsSkip() }, async (t) => {
  const dir = tempDir('dfo-ro', t);
  const ro = mountTmpfs('1m', t, { subdirs: ['agent/dfo'] });
  const conf = siteConf(dir, { 'flume.agent.logdir': ro.dir });
  const agent = node(`agent : asciisynth(100, 10) | agentDFOSink("127.0.0.1", ${await freePort()}) ;`, conf);
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

test('a full log directory: node ERROR without a crash, and accepted events are not lost', {
  skip: tmpfsSkip(),
}, async (t) => {
  const dir = tempDir('dfo-full', t);
  const disk = mountTmpfs('256k', t);
  const conf = siteConf(dir, { 'flume.agent.logdir': disk.dir, 'flume.agent.logdir.maxage': 500 });
  const receiver = new AvroReceiver();
  const rport = await receiver.listen();
  const cport = await freePort();
  const aport = await freePort();
  const procs: Proc[] = [];
  t.after(async () => {
    for (const p of procs) await kill(p, 'SIGKILL');
    await receiver.close();
  });
  const agentSpec = `agent : avroSource(${aport}, bind="127.0.0.1") | agentDFOSink("127.0.0.1", ${cport}, connectTimeout=500) ;`;
  const agent = node(agentSpec, conf);
  procs.push(agent);
  await waitForPort(aport);
  // No collector yet: everything is spilled until the small disk is full.
  const total = 20_000;
  const send = sender(aport, total, 20_000);
  procs.push(send);
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
  const collector = node(
    `collector : collectorSource(${cport}, bind="127.0.0.1") | rpcSink("127.0.0.1", ${rport}) ;`,
    conf,
  );
  procs.push(collector);
  await waitForPort(cport);
  const again = node(agentSpec, conf);
  procs.push(again);
  await waitFor(
    () => /events left in .* by an earlier run/.test(again.text()),
    () => again.text(),
    15_000,
    20,
  );
  assert.equal(await send.exit, 0, send.text());
  await allReceived(total, 60_000, receiver).catch((e: Error) => {
    throw new Error(`${e.message}\nagent:\n${again.text()}`);
  });
  const r = tally('DFO, log directory full then given room', total, receiver);
  assert.equal(r.lost, 0);
  assert.ok(r.duplicated <= 1000, `duplicated ${r.duplicated}`);
  assert.equal(await kill(again), 0, again.text());
});
