// The Flume inputs of the streaming engine end to end, through real Sluice agents: a polling aggregator
// killed with SIGKILL and restarted from its checkpoint loses nothing it acked; a push sender sees errors,
// never a silent loss, while the receiver is down; input at twice the processing rate keeps memory
// within the engine's bound and shows up as scheduling delay in the report.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AccessLogGenerator } from '../../examples/access-log-generator.js';
import { memoryLogger } from '../../src/core/logger.js';
import { freePort } from '../../src/core/ports.js';
import { StreamingContext } from '../../src/streaming/context.js';
import { FlumeUtils } from '../../src/streaming/flume-utils.js';
import { exited, output, sender } from '../support/processes.js';
import { agentText, exampleProcess, lastCounts, testAgent } from '../support/streaming.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const aggregator = (args: string[]) => exampleProcess('log-aggregator.ts', args, cleanup);

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

test('poll: the aggregator SIGKILLed mid-stream and restarted from its checkpoint loses no event', {
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir('e2e-kill', t);
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const checkpoint = join(dir, 'checkpoint');
  const port = await freePort();
  const a = testAgent(
    agentText({
      source: { spool },
      sink: { spark: port },
      capacity: 100_000,
      transactionCapacity: 200,
      // Batches the killed poller never acked come back this soon.
      extra: ['a1.sinks.k1.timeout = 2'],
    }),
    cleanup,
  );
  await a.start();
  const args = (json: string) => [
    '--poll',
    `127.0.0.1:${port}`,
    '--window',
    '300',
    '--slide',
    '0.2',
    '--checkpoint',
    checkpoint,
    '--checkpoint-interval',
    '1',
    '--json',
    json,
  ];
  const gen = new AccessLogGenerator(11);
  let files = 0;
  const feed = (n: number) => {
    for (let i = 0; i < n; i++) gen.writeSpoolFile(spool, 300, `access-${files++}.log`);
  };
  const j1 = join(dir, 'first.jsonl');
  const first = aggregator(args(j1));
  const out1 = output(first);
  feed(4);
  await waitFor(
    () => total(lastCounts(j1)) >= 1200 && existsSync(join(checkpoint, 'checkpoint')),
    () =>
      `the first run to count 1200 lines and checkpoint; counted ${total(lastCounts(j1))}\n${out1.text()}`,
    // Includes tsx compiling the aggregator on a loaded machine.
    60_000,
    20,
  );
  // More traffic, and the kill while it is being polled, stored and acked.
  feed(6);
  const before = total(lastCounts(j1));
  await waitFor(
    () => total(lastCounts(j1)) > before,
    'the first run to take some of the new traffic',
    30_000,
    5,
  );
  first.kill('SIGKILL');
  await exited(first);
  const countedBeforeKill = total(lastCounts(j1));

  const j2 = join(dir, 'second.jsonl');
  const second = aggregator(args(j2));
  const out2 = output(second);
  feed(2);
  const want = gen.counts;
  await waitFor(
    () => {
      const got = lastCounts(j2);
      return [...want].every(([url, n]) => (got.get(url) ?? 0) >= n);
    },
    () =>
      `the restarted run to count all ${gen.lines} lines (it counts ${total(lastCounts(j2))}, the first counted ${countedBeforeKill})\n${out2.text()}`,
    60_000,
    50,
  );
  const got = lastCounts(j2);
  const duplicates = total(got) - gen.lines;
  t.diagnostic(
    `${gen.lines} lines; the killed run had counted ${countedBeforeKill}; after the restart ${total(got)} (${duplicates} counted twice)`,
  );
  for (const [url, n] of want) assert.ok((got.get(url) ?? 0) >= n, `${url}: ${got.get(url)} < ${n}`);
  // The aggregator writes its counts before its ack of the last batch reaches the agent: the channel
  // empties just after, so it is waited for, not read once.
  await waitFor(
    () => a.channel('c1')!.size === 0,
    () => `an empty channel (${a.channel('c1')!.size} left)`,
  );
  second.kill('SIGTERM');
  assert.equal(await exited(second), 0, out2.text());
});

test('push: while the receiver is down the agent sees errors and keeps the events; nothing is lost', {
  timeout: 240_000,
}, async () => {
  const port = await freePort();
  const totalEvents = 6000;
  const a = testAgent(
    agentText({
      source: { seq: totalEvents, batchSize: 100 },
      sink: { avro: port },
      extra: ['a1.sinks.k1.connect-timeout = 1000', 'a1.sinks.k1.request-timeout = 5000'],
    }),
    cleanup,
  );
  const sink = () => a.totals().sinks[0]!;
  await a.start();
  // Down from the start: every attempt fails and the events stay in the channel.
  await waitFor(() => sink().failures > 0, 'the avro sink to fail against the closed port');
  assert.equal(sink().delivered, 0);
  await waitFor(() => a.channel('c1')!.size > 0, 'events waiting in the channel');

  const seen: number[] = [];
  const context = (maxRate?: number) => {
    const ssc = new StreamingContext({
      batchIntervalMs: 100,
      logger: memoryLogger(),
      ...(maxRate !== undefined ? { maxRate } : {}),
    });
    FlumeUtils.createStream(ssc, '127.0.0.1', port, { logger: memoryLogger() }).foreachRDD((records) => {
      for (const r of records) seen.push(Number(r.text));
    });
    cleanup.push(() => ssc.stop());
    return ssc;
  };
  // Capped at 1,000 events/s so that most events are still in the agent when it stops: 4.5 s of
  // events are left after the first 1,500, room for a slow stop on a loaded machine.
  const first = context(1000);
  await first.start();
  await waitFor(
    () => seen.length >= 1500,
    () => `1500 events through the first context (got ${seen.length})`,
    30_000,
    5,
  );
  // Down again in the middle of the stream: what it stored is processed, the rest is refused.
  await first.stop({ graceful: true });
  const failuresBefore = sink().failures;
  const countedByFirst = seen.length;
  assert.ok(a.channel('c1')!.size > 0, 'every event got through before the stop: nothing to test');
  await waitFor(
    () => sink().failures > failuresBefore,
    'the sink to fail again while the receiver is down',
    30_000,
  );
  assert.equal(seen.length, countedByFirst, 'nothing arrives while down');

  const second = context();
  await second.start();
  await waitFor(
    () => new Set(seen).size >= totalEvents,
    () => `all ${totalEvents} events (got ${new Set(seen).size} distinct)`,
    60_000,
  );
  await second.stop({ graceful: true });
  assert.equal(new Set(seen).size, totalEvents, 'an event was lost');
  // OK goes out only for what was stored, and a graceful stop processes what was stored: exactly once.
  assert.equal(seen.length, totalEvents, 'an event was counted twice');
  assert.ok(countedByFirst < totalEvents);
});

test('input at twice the processing rate or more: unprocessed bytes stay within the bound and the delay is reported', {
  timeout: 240_000,
}, async (t) => {
  const port = await freePort();
  const maxUnprocessedBytes = 256 * 1024;
  const ssc = new StreamingContext({ batchIntervalMs: 200, maxUnprocessedBytes, logger: memoryLogger() });
  cleanup.push(() => ssc.stop());
  // The sender aims at 10,000 events/s, four times what the job processes, so that input still runs at
  // twice the processing rate or more when a loaded machine slows the sender down by half.
  const processingRate = 2500;
  const seen = new Set<string>();
  let received = 0;
  FlumeUtils.createStream(ssc, '127.0.0.1', port, { logger: memoryLogger() }).foreachRDD(async (records) => {
    for (const r of records) seen.add(r.text);
    received += records.length;
    // The job processes 2,500 events per second, whatever the input.
    await new Promise((r) => setTimeout(r, (records.length / processingRate) * 1000));
  });
  await ssc.start();
  const totalEvents = 20_000;
  const send = sender(port, totalEvents, 4 * processingRate);
  cleanup.push(async () => {
    if (send.exitCode === null) send.kill('SIGKILL');
  });
  const sent = output(send);
  let maxUnprocessed = 0;
  let maxHeldBlockBytes = 0;
  const sampler = setInterval(() => {
    const r = ssc.report();
    maxUnprocessed = Math.max(maxUnprocessed, r.unprocessedBytes);
  }, 5);
  try {
    await waitFor(
      () => seen.size >= totalEvents,
      () => `all events (got ${seen.size})\n${sent.text()}`,
      60_000,
    );
  } finally {
    clearInterval(sampler);
  }
  assert.equal(await exited(send), 0, sent.text());
  const report = ssc.report();
  await ssc.stop();
  // A block is taken whole, so the bound may be passed by the one block that crossed it.
  maxHeldBlockBytes = 100 * 200;
  t.diagnostic(
    `unprocessed bytes at most ${maxUnprocessed} (bound ${maxUnprocessedBytes}); max scheduling delay ${report.maxSchedulingDelayMs} ms; receiver throttled ${report.receivers[0]!.throttled} times; ${received} records for ${totalEvents} sent`,
  );
  assert.ok(maxUnprocessed > 0);
  assert.ok(
    maxUnprocessed <= maxUnprocessedBytes + maxHeldBlockBytes,
    `${maxUnprocessed} unprocessed bytes passed the bound of ${maxUnprocessedBytes}`,
  );
  assert.ok(report.receivers[0]!.throttled > 0, 'the receiver was never made to wait');
  assert.ok(
    report.maxSchedulingDelayMs > ssc.batchIntervalMs,
    `a scheduling delay of ${report.maxSchedulingDelayMs} ms does not show the job falling behind`,
  );
  assert.equal(seen.size, totalEvents);
});
