import { SluiceError } from './errors.js';
import type { Batch } from './event.js';
import { Event } from './event.js';

/**
 * Sluice's own binary form of whole events, used wherever events must survive as bytes inside Sluice
 * (batch/gzip aggregates, the write-ahead log, the file channel). Every field of Event is kept.
 *
 * Grammar (all integers big-endian):
 *   events    := magic:"SLEV" version:u8(=1) count:u32 event{count}
 *   event     := timestamp:f64 nanos:f64 priority:u8 host:str16 attrCount:u16 attr{attrCount} body:bytes32
 *   attr      := name:str16 value:bytes32
 *   str16     := len:u16 utf8{len}
 *   bytes32   := len:u32 byte{len}
 *
 * Timestamps and nanos are JavaScript numbers, so a float64 carries them exactly (an int64 would need a
 * BigInt round trip per event for no gain in range that a double cannot already express).
 */
export const EVENTS_MAGIC = Buffer.from('SLEV', 'latin1');
export const EVENTS_VERSION = 1;

const HEADER_SIZE = 4 + 1 + 4;
/** timestamp + nanos + priority + host length + attribute count + body length */
const FIXED_EVENT_SIZE = 8 + 8 + 1 + 2 + 2 + 4;
const MAX_U16 = 0xffff;
const MAX_PRIORITY = 5;

/** True when `buf` (from `offset`) starts like an encoded event batch: cheap, for pass-through checks. */
export function looksLikeEvents(buf: Buffer, offset = 0): boolean {
  return (
    buf.length - offset >= HEADER_SIZE &&
    buf[offset] === 0x53 &&
    buf[offset + 1] === 0x4c &&
    buf[offset + 2] === 0x45 &&
    buf[offset + 3] === 0x56
  );
}

/** The exact number of bytes `writeEvents` needs for `batch`. */
export function encodedSize(batch: Batch): number {
  let size = HEADER_SIZE;
  // Consecutive events almost always share one host string: measure it once.
  let lastHost: string | undefined;
  let lastHostLen = 0;
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i]!;
    if (e.host !== lastHost) {
      lastHost = e.host;
      lastHostLen = Buffer.byteLength(lastHost, 'utf8');
      if (lastHostLen > MAX_U16) throw tooLong('host name', lastHostLen);
    }
    size += FIXED_EVENT_SIZE + lastHostLen + e.body.length;
    if (e.attrCount > 0) {
      if (e.attrCount > MAX_U16) throw tooLong('attribute count', e.attrCount);
      for (let k = 0; k < e.attrCount; k++) {
        const name = e.attrName(k);
        const n = Buffer.byteLength(name, 'utf8');
        if (n > MAX_U16) throw tooLong(`attribute name "${name.slice(0, 40)}..."`, n);
        size += 2 + n + 4 + e.attrValue(k).length;
      }
    }
  }
  return size;
}

/** Serializes a batch into one freshly allocated buffer of exactly the right size. */
export function encodeEvents(batch: Batch): Buffer {
  const buf = Buffer.allocUnsafe(encodedSize(batch));
  writeEvents(batch, buf, 0);
  return buf;
}

/** Serializes one event (a batch of one). */
export function encodeEvent(e: Event): Buffer {
  return encodeEvents([e]);
}

/**
 * Writes `batch` into `buf` at `offset` (which must have `encodedSize(batch)` bytes free) and returns
 * the offset after it, so framing layers (the log's record headers) can share one allocation.
 */
export function writeEvents(batch: Batch, buf: Buffer, offset: number): number {
  let o = offset;
  EVENTS_MAGIC.copy(buf, o);
  o += 4;
  buf[o++] = EVENTS_VERSION;
  o = buf.writeUInt32BE(batch.length, o);
  // Consecutive events almost always share one host: its bytes are encoded once and copied after.
  let lastHost: string | undefined;
  let hostAt = 0;
  let hostLen = 0;
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i]!;
    o = buf.writeDoubleBE(e.timestamp, o);
    o = buf.writeDoubleBE(e.nanos, o);
    buf[o++] = e.priority;
    if (e.host === lastHost) {
      buf.copyWithin(o, hostAt, hostAt + hostLen);
      o += hostLen;
    } else {
      lastHost = e.host;
      hostAt = o;
      o = writeStr16(buf, o, e.host);
      hostLen = o - hostAt;
    }
    buf.writeUInt16BE(e.attrCount, o);
    o += 2;
    if (e.attrCount > 0) {
      for (let k = 0; k < e.attrCount; k++) {
        const value = e.attrValue(k);
        o = writeStr16(buf, o, e.attrName(k));
        o = buf.writeUInt32BE(value.length, o);
        o = put(buf, o, value);
      }
    }
    o = buf.writeUInt32BE(e.body.length, o);
    o = put(buf, o, e.body);
  }
  return o;
}

/** Copies `b` into `buf` at `o`: TypedArray set, which unlike Buffer#copy makes no view per call. */
function put(buf: Buffer, o: number, b: Buffer): number {
  buf.set(b, o);
  return o + b.length;
}

function writeStr16(buf: Buffer, o: number, s: string): number {
  // Write the text first and the length after: one UTF-8 pass instead of measuring twice.
  const n = s.length === 0 ? 0 : buf.write(s, o + 2, 'utf8');
  buf.writeUInt16BE(n, o);
  return o + 2 + n;
}

export interface DecodeOptions {
  /**
   * Copy bodies and attribute values out of the input. By default they are views into `buf`
   * (no copy), which keeps the whole input alive as long as any decoded event lives.
   */
  copy?: boolean;
  /** Where the encoded batch starts in `buf`. */
  offset?: number;
  /** Where it ends (exclusive); bytes after it are not looked at. Defaults to the end of `buf`. */
  end?: number;
}

/**
 * Decodes a batch written by `encodeEvents`. Corrupt or truncated input raises SLUICE_FORMAT naming
 * the byte offset and what was expected there; trailing bytes are an error too.
 */
export function decodeEvents(buf: Buffer, opts: DecodeOptions = {}): Event[] {
  const start = opts.offset ?? 0;
  const end = opts.end ?? buf.length;
  const copy = opts.copy === true;
  const r = new Reader(buf, start, end);
  if (end - start < HEADER_SIZE) {
    throw corrupt(start, `truncated header (${end - start} of ${HEADER_SIZE} bytes)`);
  }
  if (!looksLikeEvents(buf, start)) throw corrupt(start, 'bad magic (not an encoded event batch)');
  r.o += 4;
  const version = buf[r.o]!;
  if (version !== EVENTS_VERSION) throw corrupt(r.o, `unsupported event codec version ${version}`);
  r.o += 1;
  const count = buf.readUInt32BE(r.o);
  if (count * FIXED_EVENT_SIZE > end - r.o - 4) {
    throw corrupt(r.o, `event count ${count} does not fit in ${end - r.o - 4} remaining bytes`);
  }
  r.o += 4;
  const out: Event[] = new Array(count);
  let lastHostBytes: Buffer | undefined;
  let lastHost = '';
  for (let i = 0; i < count; i++) {
    r.need(FIXED_EVENT_SIZE - 4, 'event header', i);
    const timestamp = buf.readDoubleBE(r.o);
    const nanos = buf.readDoubleBE(r.o + 8);
    const priority = buf[r.o + 16]!;
    if (priority > MAX_PRIORITY) throw corrupt(r.o + 16, `bad priority ${priority} in event ${i}`);
    r.o += 17;
    const hostLen = buf.readUInt16BE(r.o);
    r.o += 2;
    r.need(hostLen, 'host', i);
    // Hosts repeat: reuse the previous string when the bytes are the same.
    let host: string;
    if (
      lastHostBytes !== undefined &&
      lastHostBytes.length === hostLen &&
      buf.compare(lastHostBytes, 0, hostLen, r.o, r.o + hostLen) === 0
    ) {
      host = lastHost;
    } else {
      lastHostBytes = buf.subarray(r.o, r.o + hostLen);
      host = lastHost = buf.toString('utf8', r.o, r.o + hostLen);
    }
    r.o += hostLen;
    r.need(2, 'attribute count', i);
    const attrCount = buf.readUInt16BE(r.o);
    r.o += 2;
    let attrs: Map<string, Buffer> | undefined;
    if (attrCount > 0) {
      attrs = new Map();
      for (let a = 0; a < attrCount; a++) {
        r.need(2, 'attribute name length', i);
        const nameLen = buf.readUInt16BE(r.o);
        r.o += 2;
        r.need(nameLen, 'attribute name', i);
        const name = buf.toString('utf8', r.o, r.o + nameLen);
        r.o += nameLen;
        const value = r.bytes32('attribute value', i, copy);
        attrs.set(name, value);
      }
    }
    const body = r.bytes32('body', i, copy);
    out[i] = new Event(body, timestamp, priority, nanos, host, attrs);
  }
  if (r.o !== end) throw corrupt(r.o, `${end - r.o} trailing bytes after ${count} events`);
  return out;
}

/** Decodes a buffer that must hold exactly one event. */
export function decodeEvent(buf: Buffer, opts: DecodeOptions = {}): Event {
  const events = decodeEvents(buf, opts);
  if (events.length !== 1) {
    throw new SluiceError('SLUICE_FORMAT', `expected one encoded event, found ${events.length}`);
  }
  return events[0]!;
}

class Reader {
  constructor(
    readonly buf: Buffer,
    public o: number,
    readonly end: number,
  ) {}

  need(n: number, what: string, index: number): void {
    if (this.end - this.o < n) {
      throw corrupt(
        this.o,
        `truncated ${what} of event ${index} (needs ${n} bytes, ${this.end - this.o} left)`,
      );
    }
  }

  bytes32(what: string, index: number, copy: boolean): Buffer {
    this.need(4, `${what} length`, index);
    const n = this.buf.readUInt32BE(this.o);
    this.o += 4;
    this.need(n, what, index);
    const view = this.buf.subarray(this.o, this.o + n);
    this.o += n;
    return copy ? Buffer.from(view) : view;
  }
}

function corrupt(offset: number, what: string): SluiceError {
  return new SluiceError('SLUICE_FORMAT', `corrupt event batch at offset ${offset}: ${what}`);
}

function tooLong(what: string, n: number): SluiceError {
  return new SluiceError(
    'SLUICE_FORMAT',
    `cannot encode event: ${what} is ${n}, over the limit of ${MAX_U16}`,
  );
}
