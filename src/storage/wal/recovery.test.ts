import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { memoryLogger } from '../../core/logger.js';
import { RECORD_HEADER_SIZE, SEGMENT_HEADER_SIZE, segmentName } from './format.js';
import { WriteAheadLog } from './wal.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-walrec-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `log${n++}`);

async function texts(log: WriteAheadLog): Promise<string[]> {
  const out: string[] = [];
  await log.replay(log.firstPosition, (_t, p) => out.push(p.toString()));
  return out;
}

/** Writes `count` ten-byte records `r00000000`.. and returns the segment files, oldest first. */
async function fill(dir: string, count: number, maxSegmentBytes = 1 << 20): Promise<string[]> {
  const log = await WriteAheadLog.open(dir, { maxSegmentBytes, logger: memoryLogger() });
  for (let i = 0; i < count; i++) await log.append([Buffer.from(`r${String(i).padStart(8, '0')}`)]);
  await log.close();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .sort()
    .map((f) => join(dir, f));
}

const REC = RECORD_HEADER_SIZE + 9;

function flipByte(file: string, offset: number): void {
  const b = readFileSync(file);
  b[offset] = b[offset]! ^ 0xff;
  writeFileSync(file, b);
}

describe('WriteAheadLog recovery', () => {
  it('truncates a record cut short at the end of the last segment and keeps appending after it', async () => {
    const dir = freshDir();
    const [seg] = await fill(dir, 10);
    const size = statSync(seg!).size;
    truncateSync(seg!, size - 4);
    const logger = memoryLogger();
    const log = await WriteAheadLog.open(dir, { logger });
    assert.deepEqual(log.recovery, {
      file: seg,
      offset: SEGMENT_HEADER_SIZE + 9 * REC,
      droppedBytes: REC - 4,
      reason: `record of 9 bytes runs past the end of the file`,
    });
    assert.match(logger.lines.join('\n'), /dropped a torn tail of 14 bytes at offset 182/);
    assert.equal(statSync(seg!).size, SEGMENT_HEADER_SIZE + 9 * REC);
    await log.append([Buffer.from('after')]);
    const got = await texts(log);
    assert.equal(got.length, 10);
    assert.equal(got[8], 'r00000008');
    assert.equal(got[9], 'after');
    await log.close();
  });

  it('truncates garbage and zero-filled tails, and a checksum failure in the last record', async () => {
    for (const damage of ['garbage', 'zeros', 'crc'] as const) {
      const dir = freshDir();
      const [seg] = await fill(dir, 5);
      if (damage === 'garbage') appendFileSync(seg!, Buffer.from([0, 0, 0, 3, 1, 2, 3, 4, 5, 6]));
      if (damage === 'zeros') appendFileSync(seg!, Buffer.alloc(4096));
      if (damage === 'crc') flipByte(seg!, SEGMENT_HEADER_SIZE + 4 * REC + RECORD_HEADER_SIZE + 2);
      const log = await WriteAheadLog.open(dir, { logger: memoryLogger() });
      assert.ok(log.recovery, damage);
      const got = await texts(log);
      assert.equal(got.length, damage === 'crc' ? 4 : 5, damage);
      await log.close();
    }
  });

  it('recreates a last segment whose header was torn while it was being created', async () => {
    const dir = freshDir();
    const segs = await fill(dir, 30, 100);
    const last = segs.at(-1)!;
    const base = Number(/log-(\d+)/.exec(last)![1]);
    // Simulate the crash: the new segment exists with half a header, its records never written.
    rmSync(last);
    writeFileSync(join(dir, segmentName(base)), Buffer.from('SLW'));
    const log = await WriteAheadLog.open(dir, { logger: memoryLogger() });
    assert.equal(log.recovery?.reason, 'torn segment header');
    assert.equal(log.endPosition, base);
    await log.append([Buffer.from('next')]);
    assert.equal((await texts(log)).at(-1), 'next');
    await log.close();
  });

  it('reports a bad record followed by good ones in the last segment instead of truncating data', async () => {
    const dir = freshDir();
    const [seg] = await fill(dir, 10);
    const bad = SEGMENT_HEADER_SIZE + 3 * REC;
    flipByte(seg!, bad + RECORD_HEADER_SIZE + 1);
    await assert.rejects(
      WriteAheadLog.open(dir, { logger: memoryLogger() }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'SLUICE_STORAGE');
        assert.equal(
          e.message,
          `corrupt log segment ${seg} at offset ${bad}: record checksum mismatch, with valid records after it`,
        );
        return true;
      },
    );
    assert.equal(statSync(seg!).size, SEGMENT_HEADER_SIZE + 10 * REC, 'nothing was truncated');
  });

  it('reports corruption inside an older segment on replay, naming the file and offset', async () => {
    const dir = freshDir();
    const segs = await fill(dir, 40, 100);
    assert.ok(segs.length > 3);
    const bad = SEGMENT_HEADER_SIZE + 2 * REC;
    flipByte(segs[1]!, bad + RECORD_HEADER_SIZE + 3);
    const log = await WriteAheadLog.open(dir, { logger: memoryLogger() });
    assert.equal(log.recovery, undefined);
    const seen: string[] = [];
    await assert.rejects(
      log.replay(log.firstPosition, (_t, p) => seen.push(p.toString())),
      (e: Error & { code?: string; place?: { file?: string } }) => {
        assert.equal(e.code, 'SLUICE_STORAGE');
        assert.equal(e.message, `corrupt log segment ${segs[1]} at offset ${bad}: record checksum mismatch`);
        assert.equal(e.place?.file, segs[1]);
        return true;
      },
    );
    // Records before the damage were delivered in order, none after it.
    const perSegment = Math.floor(100 / REC);
    assert.equal(seen.length, perSegment + 2);
    await log.close();
  });

  it('refuses to open a log with a torn older segment or a damaged segment header', async () => {
    const dir = freshDir();
    const segs = await fill(dir, 40, 100);
    truncateSync(segs[1]!, statSync(segs[1]!).size - 5);
    await assert.rejects(
      WriteAheadLog.open(dir, { logger: memoryLogger() }),
      /corrupt log segment .*log-0+\d+\.wal at offset \d+: segment ends at position \d+ but the next one starts at \d+/,
    );
    const dir2 = freshDir();
    const segs2 = await fill(dir2, 40, 100);
    flipByte(segs2[0]!, 2);
    await assert.rejects(
      WriteAheadLog.open(dir2, { logger: memoryLogger() }),
      new RegExp(`corrupt log segment ${segs2[0]} at offset 0: bad magic`),
    );
  });
});
