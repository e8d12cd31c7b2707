// Live reload of an agent file with real processes: a sender process moves numbered events over Avro
// into `sluice agent`, whose avro sink delivers them to a receiving server. Mid-stream a broken file is
// refused (the running configuration stays), then the file gains an interceptor on the source and a
// second channel and sink with their own receiving server; SIGHUP applies it. Every event arrives
// once, the header appears from one event on, and the first sink never reconnects.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AvroReceiver } from '../support/avro-receiver.js';
import { byHeader, exited, listeningPort, output, sender, sluice } from '../support/processes.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

/** Events sent; `SLUICE_RELOAD_EVENTS` raises it for a manual run (the 100,000). */
const TOTAL = Number(process.env.SLUICE_RELOAD_EVENTS ?? 100_000);
/**
 * Paced so the reload lands mid-stream: about 10 s of sending, most of it after the reload is asked
 * for, so a reload slowed by a loaded machine still finds events left to send.
 */
const RATE = Math.max(2000, TOTAL / 10);

function agentFile(port: number, k1: number, k2?: number, restart = false): string {
  return [
    'a1.sources = r1',
    `a1.channels = c1${k2 ? ' c2' : ''}`,
    `a1.sinks = k1${k2 ? ' k2' : ''}`,
    'a1.sources.r1.type = avro',
    'a1.sources.r1.bind = 127.0.0.1',
    `a1.sources.r1.port = ${port}`,
    `a1.sources.r1.channels = c1${k2 ? ' c2' : ''}`,
    // The default written out changes the source's own properties: it is restarted, not rewired.
    ...(restart ? ['a1.sources.r1.compression-type = none'] : []),
    ...(k2
      ? [
          'a1.sources.r1.interceptors = i1',
          'a1.sources.r1.interceptors.i1.type = static',
          'a1.sources.r1.interceptors.i1.key = reload',
          'a1.sources.r1.interceptors.i1.value = v2',
        ]
      : []),
    'a1.channels.c1.type = memory',
    'a1.channels.c1.capacity = 20000',
    'a1.channels.c1.transactionCapacity = 1000',
    'a1.sinks.k1.type = avro',
    'a1.sinks.k1.hostname = 127.0.0.1',
    `a1.sinks.k1.port = ${k1}`,
    'a1.sinks.k1.batch-size = 100',
    'a1.sinks.k1.channel = c1',
    ...(k2
      ? [
          'a1.channels.c2.type = memory',
          'a1.channels.c2.capacity = 20000',
          'a1.channels.c2.transactionCapacity = 1000',
          'a1.sinks.k2.type = avro',
          'a1.sinks.k2.hostname = 127.0.0.1',
          `a1.sinks.k2.port = ${k2}`,
          'a1.sinks.k2.batch-size = 100',
          'a1.sinks.k2.channel = c2',
        ]
      : []),
    '',
  ].join('\n');
}

for (const restart of [false, true])
  test(`agent reload on SIGHUP: ${TOTAL} events, a refused file, an interceptor and a second sink added${restart ? ', the source restarted' : ''}: 0 lost, 0 duplicated, k1 never reconnects`, {
    timeout: 180_000,
  }, async (t) => {
    const dir = tempDir('reload-agent', t);
    const r1 = new AvroReceiver();
    const r2 = new AvroReceiver();
    const k1 = await r1.listen();
    const k2 = await r2.listen();
    t.after(() => Promise.all([r1.close(), r2.close()]));
    const file = join(dir, 'a1.conf');
    // Port 0: the kernel picks it, so no other test can take it while the agent starts. The files
    // keep port 0 where the source must stay as it is; the restarted source gets the port it had.
    writeFileSync(file, agentFile(0, k1));
    const agent = sluice(['agent', '-f', file, '-n', 'a1', '--no-reload-conf'], dir);
    const log = output(agent);
    t.after(() => {
      if (agent.exitCode === null) agent.kill('SIGKILL');
    });
    const port = await listeningPort(agent, log.text, 'source r1');

    const send = sender(port, TOTAL, RATE);
    const sent = output(send);
    t.after(() => {
      if (send.exitCode === null) send.kill('SIGKILL');
    });

    // A broken file is refused with its place, and the agent goes on as it was.
    await waitFor(
      () => r1.distinct >= TOTAL / 10,
      () => `a tenth of the events at k1 (${r1.distinct})`,
      60_000,
    );
    writeFileSync(file, `${agentFile(0, k1)}a1.sinks.k1.channel = nowhere\n`);
    agent.kill('SIGHUP');
    await waitFor(
      () => /a1\.conf.*refused|refused.*a1\.conf/.test(log.text()),
      () => `the refusal in:\n${log.text()}`,
      30_000,
    );
    assert.match(log.text(), /a1\.conf:\d+/, 'the refusal names the file and line');

    await waitFor(
      () => r1.distinct >= TOTAL / 5,
      () => `a fifth of the events at k1 (${r1.distinct})`,
      60_000,
    );
    writeFileSync(file, agentFile(restart ? port : 0, k1, k2, restart));
    agent.kill('SIGHUP');
    await waitFor(
      () => /reloaded \(SIGHUP\): version 2/.test(log.text()),
      () => `the reload in:\n${log.text()}`,
      30_000,
    );
    assert.ok(r1.distinct < TOTAL, 'the reload happened mid-stream');
    assert.match(log.text(), restart ? /replaced: source r1/ : /rewired: source r1/);

    assert.equal(await exited(send), 0, sent.text());
    await waitFor(
      () => r1.distinct >= TOTAL && r2.distinct >= byHeader(r1).tagged.length,
      () => `every event at k1 and the tagged ones at k2 (${r1.distinct} of ${TOTAL}, ${r2.distinct})`,
      60_000,
    );
    agent.kill('SIGTERM');
    assert.equal(await exited(agent), 0, log.text());

    assert.equal(r1.distinct, TOTAL);
    assert.deepEqual(r1.duplicates(), [], 'no event twice at k1');
    assert.deepEqual(r2.duplicates(), [], 'no event twice at k2');
    assert.equal(r1.peers.size, 1, `k1 kept its one connection (peers: ${[...r1.peers].join(' ')})`);
    // Before the reload nothing is tagged; from one event on, every event is tagged and also reached k2.
    const at1 = byHeader(r1);
    const at2 = byHeader(r2);
    assert.ok(at1.plain.length > 0 && at1.tagged.length > 0, 'events on both sides of the reload');
    assert.ok(at1.plain.at(-1)! < at1.tagged[0]!, 'the header appears from one event on');
    assert.deepEqual(at2.plain, [], 'k2 got only events that passed the new interceptor');
    assert.deepEqual(at2.tagged, at1.tagged, 'k2 got every event after the reload');
  });
