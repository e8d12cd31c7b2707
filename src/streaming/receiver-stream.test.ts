import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { Ack } from '../core/ack.js';
import { SluiceError } from '../core/errors.js';
import { memoryLogger } from '../core/logger.js';
import { StreamingContext, type StreamingContextOptions } from './context.js';
import type { ReceivedBlock, Receiver, ReceiverSink } from './receiver.js';
import type { ReceiverLog } from './receiver-log.js';

/** A receiver the test drives by hand: `push` stores a block and says whether the engine made it wait. */
class HandReceiver implements Receiver<string> {
  readonly name: string;
  sink: ReceiverSink<string> | undefined;
  stopped = false;

  constructor(name = 'hand') {
    this.name = name;
  }

  async start(sink: ReceiverSink<string>): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  push(records: string[], ack?: Ack): { waited: Promise<void> | undefined } {
    const r = this.sink!.store({ records, bytes: records.join('').length, ...(ack ? { ack } : {}) });
    return { waited: r instanceof Promise ? r : undefined };
  }
}

function context(opts: Partial<StreamingContextOptions> = {}) {
  return new StreamingContext({ batchIntervalMs: 1000, clock: 'manual', logger: memoryLogger(), ...opts });
}

test('blocks stored before a batch time make that batch, in order; each is acked once stored', async () => {
  const ssc = context();
  const rx = new HandReceiver();
  const seen: [number, string[]][] = [];
  ssc.receiverStream(rx).foreachRDD((r, t) => {
    seen.push([t, [...r]]);
  });
  await ssc.start();
  const a1 = new Ack();
  rx.push(['a', 'b'], a1);
  assert.equal(a1.isOk, true);
  rx.push(['c']);
  await ssc.advance(1000);
  rx.push(['d']);
  await ssc.advance(2000);
  await ssc.stop();
  assert.deepEqual(seen, [
    [1000, ['a', 'b', 'c']],
    [2000, ['d']],
    [3000, []],
  ]);
  const report = ssc.report();
  assert.equal(report.records, 4);
  assert.deepEqual(
    {
      records: report.receivers[0]!.records,
      blocks: report.receivers[0]!.blocks,
      pending: report.receivers[0]!.pendingRecords,
    },
    { records: 4, blocks: 3, pending: 0 },
  );
  assert.equal(rx.stopped, true);
});

test('past maxUnprocessedBytes store makes the receiver wait until a batch processed the data', async () => {
  const ssc = context({ maxUnprocessedBytes: 10 });
  const rx = new HandReceiver();
  let processed = 0;
  ssc.receiverStream(rx).foreachRDD((r) => {
    processed += r.length;
  });
  await ssc.start();
  assert.equal(rx.push(['12345']).waited, undefined);
  assert.equal(rx.push(['12345']).waited, undefined);
  const { waited } = rx.push(['x']);
  assert.ok(waited, 'the third block (11 bytes held) must make the receiver wait');
  let released = false;
  void waited.then(() => {
    released = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(released, false);
  assert.equal(ssc.report().unprocessedBytes, 11);
  await ssc.advance(1000);
  await waited;
  assert.equal(processed, 3);
  assert.equal(ssc.report().unprocessedBytes, 0);
  assert.equal(ssc.report().receivers[0]!.throttled, 1);
  await ssc.stop();
});

test('maxRate caps the records per second a receiver stores', async () => {
  const ssc = context({ maxRate: 2000 });
  const rx = new HandReceiver();
  ssc
    .receiverStream(rx)
    .count()
    .foreachRDD(() => {});
  await ssc.start();
  const t0 = Date.now();
  // 4 blocks of 100 records at 2000 records/s: the receiver may go on after 50, 100, 150, 200 ms.
  for (let i = 0; i < 4; i++) await rx.push(Array(100).fill('r')).waited;
  const took = Date.now() - t0;
  await ssc.stop();
  assert.ok(took >= 180, `4 x 100 records at 2000/s took ${took} ms`);
});

test('a block stored after stop is refused: its ack fails (retriable) so the sender resends it', async () => {
  const ssc = context();
  const rx = new HandReceiver();
  ssc.receiverStream(rx).print(1, () => {});
  await ssc.start();
  await ssc.stop();
  const ack = new Ack();
  rx.push(['late'], ack);
  assert.ok(ack.error instanceof SluiceError);
  assert.equal((ack.error as SluiceError).code, 'SLUICE_CLOSED');
  assert.equal((ack.error as SluiceError).retriable, true);
  assert.equal(ssc.report().receivers[0]!.refused, 1);
});

test('a receiver that cannot start fails start() and the context stops', async () => {
  const ssc = context();
  ssc
    .receiverStream<string>({
      name: 'broken',
      start: async () => {
        throw new SluiceError('SLUICE_IO', 'listen 127.0.0.1:1: address already in use');
      },
      stop: async () => {},
    })
    .print();
  await assert.rejects(ssc.start(), /address already in use/);
  assert.equal(ssc.state, 'STOPPED');
});

test('reportError is reported and stops that receiver', async () => {
  const logger = memoryLogger();
  const ssc = context({ logger });
  const rx = new HandReceiver('flaky');
  ssc.receiverStream(rx).print(1, () => {});
  await ssc.start();
  rx.sink!.reportError(new Error('peer sent garbage'));
  await waitFor(() => rx.stopped, 'the receiver stopped');
  assert.equal(ssc.report().receiverErrors, 1);
  assert.match(ssc.report().lastReceiverError ?? '', /peer sent garbage/);
  assert.ok(logger.lines.some((l) => /receiver flaky: peer sent garbage/.test(l)));
  await ssc.stop();
});

test('a graceful stop processes what receivers stored before it stops (system clock)', async () => {
  const ssc = new StreamingContext({ batchIntervalMs: 30, logger: memoryLogger() });
  const rx = new HandReceiver();
  const seen: string[] = [];
  ssc.receiverStream(rx).foreachRDD((r) => {
    seen.push(...r);
  });
  await ssc.start();
  rx.push(['x', 'y']);
  await ssc.stop({ graceful: true });
  assert.deepEqual(seen, ['x', 'y']);
});

/** An in-memory write-ahead log whose appends resolve when the test says. */
class HeldLog implements ReceiverLog {
  readonly blocks: { block: ReceivedBlock<unknown>; at: number }[] = [];
  truncatedBefore: number[] = [];
  private pending: (() => void)[] = [];
  hold = true;

  append(blocks: readonly ReceivedBlock<unknown>[], time: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        for (const b of blocks) this.blocks.push({ block: { records: b.records, bytes: b.bytes }, at: time });
        resolve();
      };
      if (this.hold) this.pending.push(done);
      else done();
    });
  }

  release(): void {
    for (const p of this.pending.splice(0)) p();
  }

  async *replay(): AsyncIterable<ReceivedBlock<unknown>> {
    for (const b of this.blocks) yield b.block;
  }

  async truncate(beforeTime: number): Promise<void> {
    this.truncatedBefore.push(beforeTime);
    for (let i = this.blocks.length - 1; i >= 0; i--)
      if (this.blocks[i]!.at < beforeTime) this.blocks.splice(i, 1);
  }

  async close(): Promise<void> {}
}

test('with a write-ahead log a block is acked only once logged; a checkpoint truncates what it covers; a restart replays the rest', async (t) => {
  const { tempDir } = await import('../../test/support/tmp.js');
  const dir = tempDir('streaming-wal', t);
  const log = new HeldLog();
  const build = () => {
    const ssc = context({ receiverLog: () => log });
    ssc.checkpoint(dir, { intervalMs: 1000 });
    const rx = new HandReceiver();
    const seen: string[][] = [];
    ssc.receiverStream(rx).foreachRDD((r) => {
      seen.push([...r]);
    });
    return { ssc, rx, seen };
  };
  const first = build();
  await first.ssc.start();
  const ack = new Ack();
  const stored = first.rx.push(['a'], ack).waited;
  assert.ok(stored, 'store waits for the log');
  assert.equal(ack.isSettled, false);
  log.release();
  await stored;
  assert.equal(ack.isOk, true);
  await first.ssc.advance(1000);
  assert.deepEqual(first.seen, [['a']]);
  // The checkpoint after batch 1000 covers 'a': the log may drop it.
  assert.deepEqual(log.blocks, []);
  log.hold = false;
  await first.rx.push(['b']).waited;
  // The process dies before 'b' makes a batch: a new program replays it into its first batch.
  const second = build();
  const resumed = await StreamingContext.getOrCreate(dir, () => second.ssc);
  await resumed.start();
  await resumed.advance(1000);
  await resumed.stop();
  await first.ssc.stop();
  assert.deepEqual(second.seen, [['b']]);
});

test('input faster than processing waits at the receiver: held bytes stay within the bound, nothing is lost', async () => {
  const bound = 20_000;
  const ssc = new StreamingContext({
    batchIntervalMs: 40,
    maxUnprocessedBytes: bound,
    // Batches queue behind the slow output: the default (10 batches) would give up before the data.
    gracefulStopTimeoutMs: 20_000,
    logger: memoryLogger(),
  });
  const rx = new HandReceiver();
  let processed = 0;
  let maxHeld = 0;
  ssc.receiverStream(rx).foreachRDD(async (r) => {
    processed += r.length;
    // Processing is slower than the interval: batches queue and the receiver must wait.
    await new Promise((res) => setTimeout(res, 60));
  });
  await ssc.start();
  const block = Array(100).fill('0123456789'); // 1,000 bytes
  let stored = 0;
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline) {
    const { waited } = rx.push(block);
    stored += block.length;
    maxHeld = Math.max(maxHeld, ssc.report().unprocessedBytes);
    if (waited) await waited;
    else await new Promise((res) => setImmediate(res));
  }
  await ssc.stop({ graceful: true });
  assert.ok(maxHeld <= bound + 1000, `held at most ${maxHeld} bytes with a bound of ${bound}`);
  assert.ok(ssc.report().receivers[0]!.throttled > 0, 'the receiver was made to wait');
  const rep = ssc.report();
  assert.equal(
    processed,
    stored,
    JSON.stringify({
      stored,
      processed,
      batchRecords: rep.records,
      rx: rep.receivers[0],
      batches: rep.batches,
    }),
  );
});

test('streams of several receivers can be unioned: each batch holds what every receiver stored', async () => {
  const ssc = context();
  const a = new HandReceiver('a');
  const b = new HandReceiver('b');
  const seen: string[][] = [];
  ssc.union([ssc.receiverStream(a), ssc.receiverStream(b)]).foreachRDD((r) => {
    seen.push([...r].sort());
  });
  await ssc.start();
  a.push(['a1']);
  b.push(['b1', 'b2']);
  await ssc.advance(1000);
  b.push(['b3']);
  await ssc.advance(1000);
  await ssc.stop();
  assert.deepEqual(seen, [['a1', 'b1', 'b2'], ['b3']]);
  assert.deepEqual(
    ssc.report().receivers.map((r) => [r.name, r.records]),
    [
      ['a', 1],
      ['b', 3],
    ],
  );
});
