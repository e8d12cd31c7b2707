import { crc32 } from 'node:zlib';

/**
 * On-disk grammar of the write-ahead log (all integers big-endian, like the event codec):
 *
 *   segment  := header record*
 *   header   := magic:"SLWAL" version:u8(=1) reserved:u16(=0) baseHi:u32 baseLo:u32 crc:u32
 *   record   := length:u32 crc:u32 type:u8 payload{length}
 *
 * `base` is the log position of the segment's first record. Positions are logical byte offsets that
 * count record bytes only (never segment headers), so they stay contiguous across segments: a record
 * at position p in a segment with base b starts at file offset HEADER_SIZE + (p - b). The record crc
 * is CRC-32 (zlib's polynomial) over the type byte followed by the payload; the header crc covers the
 * 16 bytes before it. Type 0 is never written, so a zero-filled tail can never look like a record.
 */
export const SEGMENT_MAGIC = Buffer.from('SLWAL', 'latin1');
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 20;
export const RECORD_HEADER_SIZE = 9;
/** Larger lengths are refused on write and read as corruption (a torn length field is usually huge). */
export const MAX_RECORD_SIZE = 256 * 1024 * 1024;

const SEGMENT_NAME = /^log-(\d{16})\.wal$/;

export function segmentName(base: number): string {
  return `log-${String(base).padStart(16, '0')}.wal`;
}

/** The base position encoded in a segment file name, or undefined for any other file. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function encodeSegmentHeader(base: number): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_SIZE);
  SEGMENT_MAGIC.copy(b, 0);
  b[5] = SEGMENT_VERSION;
  b.writeUInt32BE(Math.floor(base / 0x100000000), 8);
  b.writeUInt32BE(base >>> 0, 12);
  b.writeUInt32BE(crc32(b.subarray(0, 16)), 16);
  return b;
}

/** The base position of a segment header, or a reason why the bytes are not one. */
export function decodeSegmentHeader(b: Buffer): { base: number } | { error: string } {
  if (b.length < SEGMENT_HEADER_SIZE) return { error: `truncated segment header (${b.length} bytes)` };
  if (b.compare(SEGMENT_MAGIC, 0, 5, 0, 5) !== 0) return { error: 'bad magic (not a Sluice log segment)' };
  if (b[5] !== SEGMENT_VERSION) return { error: `unsupported segment version ${b[5]}` };
  if (crc32(b.subarray(0, 16)) !== b.readUInt32BE(16)) return { error: 'segment header checksum mismatch' };
  return { base: b.readUInt32BE(8) * 0x100000000 + b.readUInt32BE(12) };
}

const typeCrcs = new Int32Array(256).fill(-1);
/** CRC of the single type byte, the seed the payload's CRC continues from. */
function typeCrc(type: number): number {
  let c = typeCrcs[type]!;
  if (c === -1) {
    c = crc32(Buffer.of(type));
    typeCrcs[type] = c;
  }
  return c >>> 0;
}

export function recordCrc(type: number, payload: Buffer): number {
  return crc32(payload, typeCrc(type));
}

export function writeRecordHeader(out: Buffer, offset: number, type: number, payload: Buffer): void {
  out.writeUInt32BE(payload.length, offset);
  out.writeUInt32BE(recordCrc(type, payload), offset + 4);
  out[offset + 8] = type;
}
