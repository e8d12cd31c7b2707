import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { TakeRange } from './file-record.js';

/**
 * A file channel checkpoint: the log position it covers and the queue at that moment as ranges of
 * put records, head first. Starting from it means reading those records plus the log after the
 * position, instead of the whole log. Big-endian:
 *
 *   checkpoint := magic:"SLCK" version:u8(=1) position:f64 runCount:u32 run{runCount} crc:u32
 *   run        := pos:f64 first:u32 count:u32
 *
 * The crc (CRC-32 of everything before it) rejects a torn or foreign file; it is replaced atomically
 * (write, fsync, rename, fsync the directory), so a crash leaves the old or the new one.
 */
export const CHECKPOINT_FILE = 'checkpoint';
const MAGIC = Buffer.from('SLCK', 'latin1');
const VERSION = 1;
const HEAD = 4 + 1 + 8 + 4;
const RUN = 16;

export interface Checkpoint {
  position: number;
  runs: TakeRange[];
}

export function encodeCheckpoint(cp: Checkpoint): Buffer {
  const buf = Buffer.allocUnsafe(HEAD + RUN * cp.runs.length + 4);
  MAGIC.copy(buf, 0);
  buf[4] = VERSION;
  buf.writeDoubleBE(cp.position, 5);
  let o = buf.writeUInt32BE(cp.runs.length, 13);
  for (const r of cp.runs) {
    o = buf.writeDoubleBE(r.pos, o);
    o = buf.writeUInt32BE(r.first, o);
    o = buf.writeUInt32BE(r.count, o);
  }
  buf.writeUInt32BE(crc32(buf.subarray(0, o)), o);
  return buf;
}

/** The checkpoint, or a reason it cannot be used. */
export function decodeCheckpoint(buf: Buffer): Checkpoint | { error: string } {
  if (buf.length < HEAD + 4 || buf.compare(MAGIC, 0, 4, 0, 4) !== 0)
    return { error: 'not a checkpoint file' };
  if (buf[4] !== VERSION) return { error: `unsupported checkpoint version ${buf[4]}` };
  const n = buf.readUInt32BE(13);
  const end = HEAD + RUN * n;
  if (buf.length !== end + 4) return { error: `size ${buf.length} does not match its ${n} runs` };
  if (crc32(buf.subarray(0, end)) !== buf.readUInt32BE(end)) return { error: 'checksum mismatch' };
  const runs: TakeRange[] = new Array(n);
  for (let i = 0, o = HEAD; i < n; i++, o += RUN) {
    runs[i] = { pos: buf.readDoubleBE(o), first: buf.readUInt32BE(o + 8), count: buf.readUInt32BE(o + 12) };
  }
  return { position: buf.readDoubleBE(5), runs };
}

export async function writeCheckpoint(dir: string, cp: Checkpoint): Promise<void> {
  const tmp = join(dir, `${CHECKPOINT_FILE}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(encodeCheckpoint(cp));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, CHECKPOINT_FILE));
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The stored checkpoint; undefined when there is none; `{ error }` when it is unusable. */
export async function readCheckpoint(dir: string): Promise<Checkpoint | { error: string } | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(join(dir, CHECKPOINT_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { error: (e as Error).message };
  }
  return decodeCheckpoint(buf);
}
