import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../test/support/tmp.js';
import { memoryLogger } from '../../core/logger.js';
import { SEGMENT_HEADER_SIZE } from './format.js';
import { WriteAheadLog } from './wal.js';

const segmentFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .sort()
    .map((f) => join(dir, f));

async function texts(log: WriteAheadLog): Promise<string[]> {
  const out: string[] = [];
  await log.replay(log.firstPosition, (_t, p) => out.push(p.toString()));
  return out;
}

test('preallocated segments: zero-filled while open, cut to their records when rolled, and a crash leaves nothing to warn about', async (t) => {
  const dir = tempDir('wal-prealloc', t);
  const logger = memoryLogger();
  const opts = { maxSegmentBytes: 4096, preallocateBytes: 4096, logger };
  const log = await WriteAheadLog.open(dir, opts);
  const records = Array.from({ length: 300 }, (_, i) => `record-${String(i).padStart(4, '0')}`);
  for (const r of records) await log.append([Buffer.from(r)]);
  const files = segmentFiles(dir);
  assert.ok(files.length > 1, 'the log rolled');
  const active = files[files.length - 1]!;
  assert.equal(statSync(active).size, 4096, 'the active segment is preallocated');
  const base = (f: string) => Number(/log-(\d+)/.exec(f)![1]);
  for (let i = 0; i + 1 < files.length; i++)
    assert.equal(
      statSync(files[i]!).size,
      SEGMENT_HEADER_SIZE + base(files[i + 1]!) - base(files[i]!),
      'a rolled segment is cut back to its records',
    );
  // A process killed now leaves the active segment with its zero tail: what reopening must accept.
  const written = log.endPosition;
  const crashed = { ...opts, logger: memoryLogger() };
  (log as unknown as { unlock(): void }).unlock();
  const again = await WriteAheadLog.open(dir, crashed);
  assert.equal(again.recovery, undefined, 'a zero tail is not a torn write');
  assert.equal(again.endPosition, written);
  assert.deepEqual(await texts(again), records);
  assert.deepEqual(
    crashed.logger.lines.filter((l) => l.includes('torn')),
    [],
  );
  await again.append([Buffer.from('after')]);
  await again.close();
  const last = segmentFiles(dir).at(-1)!;
  assert.equal(
    statSync(last).size,
    SEGMENT_HEADER_SIZE + (written + 9 + 5 - base(last)),
    'a clean close cuts the zero tail',
  );
  const third = await WriteAheadLog.open(dir, { ...opts, logger: memoryLogger() });
  assert.deepEqual(await texts(third), [...records, 'after']);
  await third.close();
});
