import type { FileHandle } from 'node:fs/promises';
import { MAX_RECORD_SIZE, RECORD_HEADER_SIZE, recordCrc } from './format.js';

/** Why scanning stopped early: the file offset of the first bad record and what is wrong with it. */
export interface ScanError {
  offset: number;
  reason: string;
  /**
   * Set when the bad record's length was plausible and another valid record follows it: the damage
   * is in the middle of the data, not a write that a crash cut short.
   */
  followedByValidRecord: boolean;
  /** Set when every byte from the bad record to the end is zero (never written, or preallocated). */
  zeroTail?: boolean;
}

export interface ScanResult {
  /** File offset just after the last valid record. */
  validEnd: number;
  records: number;
  error?: ScanError;
}

/** Receives each valid record; `payload` stays valid after the call (chunks are never reused). */
export type RecordVisitor = (type: number, payload: Buffer, fileOffset: number) => void;

const CHUNK = 4 * 1024 * 1024;

/**
 * Reads records from `start` to `end` (file offsets) in large chunks, checking each record's length,
 * type and checksum. Stops at the first bad record and describes it instead of throwing, so recovery
 * can truncate a torn tail while replay turns the same finding into an error.
 */
export async function scanRecords(
  fh: FileHandle,
  start: number,
  end: number,
  visit?: RecordVisitor,
): Promise<ScanResult> {
  let buf = Buffer.alloc(0);
  let bufAt = start; // file offset of buf[0]
  let pos = start;
  let records = 0;

  const ensure = async (need: number): Promise<void> => {
    const have = bufAt + buf.length - pos;
    if (have >= need) return;
    const want = Math.min(Math.max(need, CHUNK), end - pos);
    const next = Buffer.allocUnsafe(want);
    const keep = buf.subarray(pos - bufAt);
    keep.copy(next, 0);
    let filled = keep.length;
    while (filled < want) {
      const { bytesRead } = await fh.read(next, filled, want - filled, pos + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    buf = next.subarray(0, filled);
    bufAt = pos;
  };

  const fail = async (reason: string, length: number | undefined): Promise<ScanResult> => {
    const followed =
      length !== undefined && (await validRecordAt(fh, pos + RECORD_HEADER_SIZE + length, end));
    return { validEnd: pos, records, error: { offset: pos, reason, followedByValidRecord: followed } };
  };

  while (pos < end) {
    if (end - pos < RECORD_HEADER_SIZE)
      return fail(`truncated record header (${end - pos} bytes)`, undefined);
    await ensure(RECORD_HEADER_SIZE);
    let o = pos - bufAt;
    const length = buf.readUInt32BE(o);
    const crc = buf.readUInt32BE(o + 4);
    const type = buf[o + 8]!;
    if (length > MAX_RECORD_SIZE) return fail(`implausible record length ${length}`, undefined);
    if (pos + RECORD_HEADER_SIZE + length > end) {
      return fail(`record of ${length} bytes runs past the end of the file`, undefined);
    }
    if (type === 0) {
      const r = await fail('record type 0 (zero-filled or never written)', undefined);
      if (r.error && (await zerosTo(fh, pos, end))) r.error.zeroTail = true;
      return r;
    }
    await ensure(RECORD_HEADER_SIZE + length);
    o = pos - bufAt;
    const payload = buf.subarray(o + RECORD_HEADER_SIZE, o + RECORD_HEADER_SIZE + length);
    if (recordCrc(type, payload) !== crc) return fail('record checksum mismatch', length);
    visit?.(type, payload, pos);
    records++;
    pos += RECORD_HEADER_SIZE + length;
  }
  return { validEnd: pos, records };
}

/** True when a whole, checksum-valid record starts at `offset`. */
async function validRecordAt(fh: FileHandle, offset: number, end: number): Promise<boolean> {
  if (offset + RECORD_HEADER_SIZE > end) return false;
  const h = Buffer.alloc(RECORD_HEADER_SIZE);
  await fh.read(h, 0, RECORD_HEADER_SIZE, offset);
  const length = h.readUInt32BE(0);
  const type = h[8]!;
  if (type === 0 || length > MAX_RECORD_SIZE || offset + RECORD_HEADER_SIZE + length > end) return false;
  const payload = Buffer.alloc(length);
  await fh.read(payload, 0, length, offset + RECORD_HEADER_SIZE);
  return recordCrc(type, payload) === h.readUInt32BE(4);
}

/** True when the file holds only zero bytes from `from` to `end`. */
async function zerosTo(fh: FileHandle, from: number, end: number): Promise<boolean> {
  const b = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(1, end - from)));
  for (let off = from; off < end; ) {
    const { bytesRead } = await fh.read(b, 0, Math.min(b.length, end - off), off);
    if (bytesRead === 0) return true;
    for (let i = 0; i < bytesRead; i++) if (b[i] !== 0) return false;
    off += bytesRead;
  }
  return true;
}
