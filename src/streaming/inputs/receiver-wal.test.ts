import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { tempDir } from '../../../test/support/tmp.js';
import { Event } from '../../core/event.js';
import { memoryLogger } from '../../core/logger.js';
import { WriteAheadLog } from '../../storage/wal/index.js';
import { SparkFlumeEvent } from '../flume-event.js';
import type { ReceivedBlock } from '../receiver.js';
import { ReceiverWal } from './receiver-wal.js';

const flume = (texts: string[]) =>
  texts.map((t) => new SparkFlumeEvent(Event.of(t, { timestamp: 1234, host: 'h1', attrs: { k: t } })));

const block = (records: unknown[]): ReceivedBlock<unknown> => ({ records, bytes: 0 });

async function replayed(wal: ReceiverWal): Promise<ReceivedBlock<unknown>[]> {
  const out: ReceivedBlock<unknown>[] = [];
  for await (const b of wal.replay()) out.push(b);
  return out;
}

test('Flume events, lines and other values come back after a reopen, with their bytes measured', async (t) => {
  const dir = tempDir('rwal', t);
  const wal = await ReceiverWal.open(dir, { logger: memoryLogger() });
  await wal.append([block(flume(['GET /a', 'GET /b'])), block(['line one', '', 'line €'])], 1000);
  await wal.append([block([{ url: '/x', n: 3, body: Buffer.from([0, 255]) }, 'plain'])], 2000);
  await wal.append([block([])], 2000);
  await wal.close();

  const again = await ReceiverWal.open(dir, { logger: memoryLogger() });
  const blocks = await replayed(again);
  await again.close();
  assert.deepEqual(
    blocks.map((b) => b.records.length),
    [2, 3, 2, 0],
  );
  const ev = blocks[0]!.records as SparkFlumeEvent[];
  assert.ok(ev[0] instanceof SparkFlumeEvent);
  assert.deepEqual(
    ev.map((e) => [e.text, e.headers.k, e.headers.host, e.headers.timestamp]),
    [
      ['GET /a', 'GET /a', 'h1', '1234'],
      ['GET /b', 'GET /b', 'h1', '1234'],
    ],
  );
  assert.ok(blocks[0]!.bytes > 12);
  assert.deepEqual(blocks[1]!.records, ['line one', '', 'line €']);
  assert.deepEqual(blocks[2]!.records, [{ url: '/x', n: 3, body: Buffer.from([0, 255]) }, 'plain']);
  assert.ok(blocks.every((b) => b.ack === undefined));
});

test('truncate forgets the blocks appended before a time (their segments deleted) and keeps every later block', async (t) => {
  const dir = tempDir('rwal-trunc', t);
  const wal = await ReceiverWal.open(dir, { maxSegmentBytes: 4096, logger: memoryLogger() });
  const line = 'x'.repeat(500);
  for (let time = 1; time <= 40; time++) await wal.append([block([line, String(time)])], time);
  const before = readdirSync(dir).length;
  await wal.truncate(31);
  const after = readdirSync(dir).length;
  assert.ok(after < before, `segments ${before} -> ${after}`);
  await wal.close();
  const again = await ReceiverWal.open(dir, { logger: memoryLogger() });
  const times = (await replayed(again)).map((b) => Number(b.records[1]));
  // Blocks before 31 sharing a segment with later ones are skipped too: replay gives exactly the rest.
  assert.deepEqual(
    times,
    Array.from({ length: 10 }, (_, i) => 31 + i),
  );
  // Truncation after a replay works from the positions the replay found.
  await again.truncate(41);
  assert.equal(again.segmentCount, 1);
  await again.close();
});

test('a damaged block is an error naming the log', async (t) => {
  const dir = tempDir('rwal-bad', t);
  // The log checksums records, so only a record of another version can be unreadable here.
  const raw = await WriteAheadLog.open(dir, { logger: memoryLogger() });
  await raw.append([Buffer.from([9, 9, 9])], 1);
  await raw.close();
  const again = await ReceiverWal.open(dir, { logger: memoryLogger() });
  await assert.rejects(replayed(again), /not a version 1 block/);
  await again.close();
});
