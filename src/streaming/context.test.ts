import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { SluiceError } from '../core/errors.js';
import { memoryLogger } from '../core/logger.js';
import { StreamingContext } from './context.js';
import type { BatchInfo } from './report.js';

const manual = (batchIntervalMs = 1000) =>
  new StreamingContext({ batchIntervalMs, clock: 'manual', logger: memoryLogger() });

test('advance runs every batch due, at multiples of the batch interval, one array per batch', async () => {
  const ssc = manual(1000);
  const seen: [number, string[]][] = [];
  ssc.queueStream([['a', 'b'], ['c'], [], ['d']]).foreachRDD((r, t) => {
    seen.push([t, [...r]]);
  });
  await ssc.start();
  await ssc.advance(2500);
  assert.deepEqual(seen, [
    [1000, ['a', 'b']],
    [2000, ['c']],
  ]);
  await ssc.advance(500);
  await ssc.advance(2000);
  assert.deepEqual(seen.slice(2), [
    [3000, []],
    [4000, ['d']],
    [5000, []],
  ]);
  await ssc.stop();
  assert.equal(ssc.state, 'STOPPED');
  assert.equal(ssc.report().batches, 5);
  assert.equal(ssc.report().records, 4);
});

test('queueStream without oneAtATime takes every queued array in the first batch', async () => {
  const ssc = manual();
  const seen: number[][] = [];
  const q = [[1, 2], [3]];
  ssc.queueStream(q, { oneAtATime: false }).foreachRDD((r) => {
    seen.push([...r]);
  });
  await ssc.start();
  await ssc.advance(1000);
  q.push([4]);
  await ssc.advance(1000);
  await ssc.stop();
  assert.deepEqual(seen, [[1, 2, 3], [4]]);
});

test('the system clock aligns batches to the interval', async () => {
  const ssc = new StreamingContext({ batchIntervalMs: 50, logger: memoryLogger() });
  const times: number[] = [];
  ssc.queueStream<number>([]).foreachRDD((_r, t) => {
    times.push(t);
  });
  await ssc.start();
  await waitFor(() => times.length >= 3, '3 batches');
  await ssc.stop();
  for (const t of times) assert.equal(t % 50, 0);
  assert.equal(times[1]! - times[0]!, 50);
});

test('a batch slower than the interval delays the next ones: none is lost or overlapped, the delay is reported', async () => {
  const ssc = new StreamingContext({ batchIntervalMs: 40, logger: memoryLogger() });
  const q = Array.from({ length: 6 }, (_, i) => [i]);
  const seen: number[] = [];
  let running = 0;
  let overlapped = false;
  ssc.queueStream(q).foreachRDD(async (r) => {
    if (running++ > 0) overlapped = true;
    // The first batch takes three intervals.
    if (r[0] === 0) await new Promise((res) => setTimeout(res, 130));
    seen.push(...r);
    running--;
  });
  const infos: BatchInfo[] = [];
  ssc.onBatchCompleted((i) => infos.push(i));
  await ssc.start();
  await waitFor(
    () => seen.length >= 6,
    () => `6 records, saw ${seen.join(',')}`,
  );
  await ssc.stop();
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
  assert.equal(overlapped, false);
  // The batches cut while the first ran started late: their scheduling delay shows it.
  assert.ok(infos[1]!.schedulingDelayMs >= 50, `delay of batch 2: ${infos[1]!.schedulingDelayMs}`);
  assert.ok(ssc.report().maxSchedulingDelayMs >= 50);
  for (let i = 1; i < infos.length; i++) assert.equal(infos[i]!.time - infos[i - 1]!.time, 40);
});

test('windows and slides that are not multiples of the batch interval are a typed error', () => {
  const ssc = manual(1000);
  const s = ssc.queueStream<[string, number]>([]);
  const bad = (f: () => unknown, re: RegExp) =>
    assert.throws(
      f,
      (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_STREAMING' && re.test(e.message),
    );
  bad(() => s.window(2500), /windowMs 2500 ms is not a multiple of the batch interval \(1000 ms\)/);
  bad(() => s.window(3000, 1500), /slideMs 1500 ms is not a multiple of the batch interval/);
  bad(
    () =>
      s.reduceByKeyAndWindow(
        (a, b) => a + b,
        (a, b) => a - b,
        300_500,
        1000,
      ),
    /reduceByKeyAndWindow: windowMs 300500 ms/,
  );
  bad(
    () => s.window(4000, 2000).window(3000, 2000),
    /windowMs 3000 ms is not a multiple of the parent stream's slide \(2000 ms\)/,
  );
  bad(() => s.union(s.window(2000, 2000)), /different slides/);
  bad(() => new StreamingContext({ batchIntervalMs: 0 }), /batchIntervalMs must be a positive/);
});

test('start without outputs, streams added after start and advance on a system clock are refused', async () => {
  const ssc = manual();
  const s = ssc.queueStream<number>([]);
  await assert.rejects(ssc.start(), /no output operations registered/);
  s.count().foreachRDD(() => {});
  await ssc.start();
  assert.throws(() => s.map((x) => x), /cannot be added once the StreamingContext has started/);
  await ssc.stop();
  const sys = new StreamingContext({ batchIntervalMs: 1000, logger: memoryLogger() });
  await assert.rejects(sys.advance(1000), /only a context with clock "manual"/);
});

test('a failing output stops the context and awaitTermination rejects with its error', async () => {
  const ssc = manual();
  ssc.queueStream([[1], [2]]).foreachRDD((r) => {
    if (r[0] === 2) throw new Error('boom in batch');
  });
  await ssc.start();
  await assert.rejects(ssc.advance(3000), /boom in batch/);
  await assert.rejects(ssc.awaitTermination(), /boom in batch/);
  assert.equal(ssc.state, 'STOPPED');
  assert.match(ssc.report().error ?? '', /boom in batch/);
});

test('awaitTerminationOrTimeout says whether the context stopped in time', async () => {
  const ssc = manual();
  ssc.queueStream<number>([]).print();
  await ssc.start();
  assert.equal(await ssc.awaitTerminationOrTimeout(20), false);
  const stopped = ssc.stop();
  assert.equal(await ssc.awaitTerminationOrTimeout(5000), true);
  await stopped;
});

test('print writes Spark layout: the time, the first n records, ... when there are more', async () => {
  const ssc = manual();
  let text = '';
  ssc
    .queueStream<[string, number]>([
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
      [],
    ])
    .print(2, (t) => {
      text += t;
    });
  await ssc.start();
  await ssc.advance(2000);
  await ssc.stop();
  const rule = '-------------------------------------------';
  assert.equal(
    text,
    `${rule}\nTime: 1000 ms\n${rule}\n(a,1)\n(b,2)\n...\n\n${rule}\nTime: 2000 ms\n${rule}\n\n`,
  );
});

test('saveAsTextFiles writes one complete directory per batch: part-00000 and _SUCCESS', async (t) => {
  const { tempDir } = await import('../../test/support/tmp.js');
  const { readdirSync, readFileSync } = await import('node:fs');
  const dir = tempDir('streaming-save', t);
  const ssc = manual();
  ssc
    .queueStream<[string, number]>([
      [['a', 1]],
      [],
      [
        ['b', 2],
        ['c', 3],
      ],
    ])
    .saveAsTextFiles(`${dir}/counts`, 'txt');
  await ssc.start();
  await ssc.advance(3000);
  await ssc.stop();
  assert.deepEqual(readdirSync(dir).sort(), ['counts-1000.txt', 'counts-2000.txt', 'counts-3000.txt']);
  assert.equal(readFileSync(`${dir}/counts-1000.txt/part-00000`, 'utf8'), '(a,1)\n');
  assert.equal(readFileSync(`${dir}/counts-2000.txt/part-00000`, 'utf8'), '');
  assert.equal(readFileSync(`${dir}/counts-3000.txt/part-00000`, 'utf8'), '(b,2)\n(c,3)\n');
  assert.deepEqual(readdirSync(`${dir}/counts-3000.txt`).sort(), ['_SUCCESS', 'part-00000']);
});
