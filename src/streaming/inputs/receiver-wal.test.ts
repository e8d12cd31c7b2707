import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { tempDir } from '../../../test/support/tmp.js';
import { Event } from '../../core/event.js';
import { memoryLogger } from '../../core/logger.js';
import { SparkFlumeEvent } from '../flume-event.js';
import { flumeEventCodec, jsonCodec, lineCodec, ReceiverWal, type RecordCodec } from './receiver-wal.js';

const codecs = new Map<number, RecordCodec<unknown>>([
  [0, flumeEventCodec as RecordCodec<unknown>],
  [1, lineCodec as RecordCodec<unknown>],
  [2, jsonCodec],
]);

const flume = (texts: string[]) =>
  texts.map((t) => new SparkFlumeEvent(Event.of(t, { timestamp: 1234, host: 'h1', attrs: { k: t } })));

test('blocks of every codec come back after a reopen, with their time and stream', async (t) => {
  const dir = tempDir('rwal', t);
  const wal = await ReceiverWal.open(dir, codecs, { logger: memoryLogger() });
  await wal.append([
    { time: 1000, stream: 0, records: flume(['GET /a', 'GET /b']) },
    { time: 1000, stream: 1, records: ['line one', '', 'line €'] },
  ]);
  await wal.append([{ time: 2000, stream: 2, records: [{ url: '/x', n: 3 }, 'plain'] }]);
  await wal.append([{ time: 2000, stream: 1, records: [] }]);
  await wal.close();

  const again = await ReceiverWal.open(dir, codecs, { logger: memoryLogger() });
  const blocks = [];
  for await (const b of again.replay()) blocks.push(b);
  await again.close();
  assert.deepEqual(
    blocks.map((b) => [b.time, b.stream, b.records.length]),
    [
      [1000, 0, 2],
      [1000, 1, 3],
      [2000, 2, 2],
      [2000, 1, 0],
    ],
  );
  const ev = blocks[0]!.records as SparkFlumeEvent[];
  assert.deepEqual(
    ev.map((e) => [e.text, e.headers.k, e.headers.host, e.headers.timestamp]),
    [
      ['GET /a', 'GET /a', 'h1', '1234'],
      ['GET /b', 'GET /b', 'h1', '1234'],
    ],
  );
  assert.deepEqual(blocks[1]!.records, ['line one', '', 'line €']);
  assert.deepEqual(blocks[2]!.records, [{ url: '/x', n: 3 }, 'plain']);
});

test('truncate deletes the segments of processed blocks and keeps every newer block', async (t) => {
  const dir = tempDir('rwal-trunc', t);
  const wal = await ReceiverWal.open(dir, codecs, { maxSegmentBytes: 4096, logger: memoryLogger() });
  const line = 'x'.repeat(500);
  for (let time = 1; time <= 40; time++)
    await wal.append([{ time, stream: 1, records: [line, String(time)] }]);
  const before = readdirSync(dir).length;
  await wal.truncate(30);
  const after = readdirSync(dir).length;
  assert.ok(after < before, `segments ${before} -> ${after}`);
  await wal.close();
  const again = await ReceiverWal.open(dir, codecs, { logger: memoryLogger() });
  const times: number[] = [];
  for await (const b of again.replay()) times.push(b.time);
  for (let time = 31; time <= 40; time++) assert.ok(times.includes(time), `block ${time} lost`);
  assert.ok(times.length < 40, 'nothing was deleted');
  // Truncation after a replay works from the marks the replay rebuilt.
  await again.truncate(40);
  assert.equal(again.segmentCount, 1);
  await again.close();
});

test('a block of a stream with no codec is an error naming the log', async (t) => {
  const dir = tempDir('rwal-codec', t);
  const wal = await ReceiverWal.open(dir, codecs, { logger: memoryLogger() });
  await assert.rejects(
    wal.append([{ time: 1, stream: 9, records: [] }]),
    /no record codec for input stream 9/,
  );
  await wal.append([{ time: 1, stream: 2, records: [1] }]);
  await wal.close();
  const other = await ReceiverWal.open(dir, new Map(), { logger: memoryLogger() });
  await assert.rejects(async () => {
    for await (const _ of other.replay());
  }, /no record codec for input stream 2/);
  await other.close();
});
