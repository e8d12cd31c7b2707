import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { memoryLogger } from '../../core/logger.js';
import { RECORD_HEADER_SIZE, SEGMENT_HEADER_SIZE } from './format.js';
import { WriteAheadLog } from './wal.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-wal-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `log${n++}`);
const quiet = () => ({ logger: memoryLogger() });

async function collect(log: WriteAheadLog, from = log.firstPosition) {
  const out: { type: number; text: string; position: number }[] = [];
  await log.replay(from, (type, payload, position) => out.push({ type, text: payload.toString(), position }));
  return out;
}

describe('WriteAheadLog', () => {
  it('appends, rolls segments by size and replays everything in order with contiguous positions', async () => {
    const dir = freshDir();
    const log = await WriteAheadLog.open(dir, { maxSegmentBytes: 200, ...quiet() });
    const positions: number[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await log.append([Buffer.from(`record-${i}`)], 1 + (i % 3));
      assert.equal(r.end - r.start, RECORD_HEADER_SIZE + `record-${i}`.length);
      positions.push(r.start);
    }
    const files = readdirSync(dir).filter((f) => f.endsWith('.wal'));
    assert.ok(files.length >= 5, `expected several segments, got ${files.length}`);
    for (const s of log.segments)
      assert.ok(s.end - s.base <= 200 || s.end - s.base === RECORD_HEADER_SIZE + 9);
    const got = await collect(log);
    assert.equal(got.length, 50);
    got.forEach((r, i) => {
      assert.equal(r.text, `record-${i}`);
      assert.equal(r.type, 1 + (i % 3));
      assert.equal(r.position, positions[i]);
    });
    // Replay from the middle starts exactly at that record, even in a later segment.
    const tail = await collect(log, positions[37]!);
    assert.deepEqual(
      tail.map((r) => r.text),
      Array.from({ length: 13 }, (_, i) => `record-${37 + i}`),
    );
    assert.equal((await log.read(positions[42]!)).payload.toString(), 'record-42');
    await log.close();
  });

  it('coalesces concurrent appends into few writes and syncs (group commit)', async () => {
    const log = await WriteAheadLog.open(freshDir(), quiet());
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.append([Buffer.from(`c${i}`)])),
    );
    for (let i = 1; i < results.length; i++)
      assert.equal(results[i]!.start, results[i - 1]!.end, 'call order');
    assert.equal(log.stats.appends, 200);
    assert.ok(log.stats.groups <= 3, `200 concurrent appends took ${log.stats.groups} group commits`);
    assert.equal(log.stats.syncs, log.stats.groups);
    const got = await collect(log);
    assert.deepEqual(
      got.map((r) => r.text),
      Array.from({ length: 200 }, (_, i) => `c${i}`),
    );
    await log.close();
  });

  it('keeps several records of one append together and continues at the end after reopening', async () => {
    const dir = freshDir();
    let log = await WriteAheadLog.open(dir, { maxSegmentBytes: 64, ...quiet() });
    const a = await log.append([Buffer.from('a1'), Buffer.from('a2'), Buffer.from('a3')]);
    const b = await log.append([Buffer.alloc(100, 0x62)]);
    assert.equal(b.start, a.end);
    await log.close();
    log = await WriteAheadLog.open(dir, { maxSegmentBytes: 64, ...quiet() });
    assert.equal(log.recovery, undefined);
    assert.equal(log.endPosition, b.end);
    const c = await log.append([Buffer.from('c')]);
    assert.equal(c.start, b.end);
    const got = await collect(log);
    assert.deepEqual(
      got.map((r) => r.text.slice(0, 2)),
      ['a1', 'a2', 'a3', 'bb', 'c'],
    );
    // Each append landed whole in one segment.
    assert.equal(log.segments.length, 3);
    await log.close();
  });

  it('releases segments below a low-water mark and refuses to replay released positions', async () => {
    const log = await WriteAheadLog.open(freshDir(), { maxSegmentBytes: 100, ...quiet() });
    const starts: number[] = [];
    for (let i = 0; i < 30; i++) starts.push((await log.append([Buffer.alloc(40, i)])).start);
    const before = log.segments.length;
    const removed = await log.releaseBefore(starts[20]!);
    assert.ok(removed > 0);
    assert.equal(log.segments.length, before - removed);
    assert.ok(log.firstPosition <= starts[20]!);
    const got = await collect(log);
    assert.equal(got.at(-1)!.position, starts[29]);
    assert.ok(got.some((r) => r.position === starts[20]));
    await assert.rejects(
      log.replay(0, () => {}),
      (e: Error & { code?: string }) => e.code === 'SLUICE_STORAGE',
    );
    // The active segment is never released, even past the end.
    await log.releaseBefore(log.endPosition + 1000);
    assert.equal(log.segments.length, 1);
    await log.close();
  });

  it('syncs on a timer under the interval policy and on close', async () => {
    const log = await WriteAheadLog.open(freshDir(), { fsync: 'interval', fsyncIntervalMs: 20, ...quiet() });
    await log.append([Buffer.from('x')]);
    assert.equal(log.stats.syncs, 0, 'the append did not wait for a sync');
    const deadline = Date.now() + 30_000;
    while (log.stats.syncs === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(log.stats.syncs, 1);
    await log.close();
  });

  it('rejects appends after close and a second writer on the same directory', async () => {
    const dir = freshDir();
    const log = await WriteAheadLog.open(dir, quiet());
    await assert.rejects(WriteAheadLog.open(dir, quiet()), /already open in this process/);
    await log.close();
    await assert.rejects(
      log.append([Buffer.from('late')]),
      (e: Error & { code?: string }) => e.code === 'SLUICE_CLOSED',
    );
    assert.equal(existsSync(join(dir, 'in_use.lock')), false);
  });

  it('takes over a lock left by a dead process and refuses one held by a live process', async () => {
    const dir = freshDir();
    await (await WriteAheadLog.open(dir, quiet())).close();
    writeFileSync(join(dir, 'in_use.lock'), '999999999');
    const log = await WriteAheadLog.open(dir, quiet());
    await log.close();
    writeFileSync(join(dir, 'in_use.lock'), String(process.ppid));
    await assert.rejects(WriteAheadLog.open(dir, quiet()), new RegExp(`in use by process ${process.ppid}`));
  });

  it('reads a single record back by position and rejects a position that is not a record', async () => {
    const log = await WriteAheadLog.open(freshDir(), quiet());
    const a = await log.append([Buffer.from('alpha'), Buffer.from('beta')], 7);
    const second = a.start + RECORD_HEADER_SIZE + 5;
    assert.deepEqual(await log.read(second), { type: 7, payload: Buffer.from('beta') });
    await assert.rejects(log.read(a.start + 2), /corrupt log segment .* at offset \d+/);
    await assert.rejects(log.read(a.end), /no record at position/);
    assert.equal(SEGMENT_HEADER_SIZE, 20);
    await log.close();
  });
});
