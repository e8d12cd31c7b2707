import { randomBytes } from 'node:crypto';
import { ByteWriter } from '../core/byte-writer.js';
import { SluiceError } from '../core/errors.js';
import { type Batch, Event } from '../core/event.js';
import type { Priority } from '../core/priority.js';
import type { FormatDef, OutputFormat } from './types.js';

/**
 * Hadoop SequenceFile (version 6, uncompressed) of Flume OG events, as OG's seqfile sink and
 * `escapedCustomDfs(..., "seqfile")` wrote them and its seqfile source read them.
 *
 * File (all integers big-endian, as java.io.DataOutput writes them):
 *   header  := "SEQ" 0x06  keyClass:Text  valueClass:Text  compressed:bool(0)  blockCompressed:bool(0)
 *              metadata:(count:int32 (Text Text){count})  sync:16 bytes
 *   Text    := length:vint (Hadoop WritableUtils)  utf8{length}
 *   record  := recordLength:int32  keyLength:int32  key{keyLength}  value{recordLength - keyLength}
 *   sync    := int32 -1  sync:16 bytes   (before a record once 2000 bytes were written since the last
 *              one, Hadoop's SYNC_INTERVAL = 100 x (4 + 16); readers resynchronise on it)
 *
 * Key, `com.cloudera.flume.handlers.hdfs.WriteableEventKey`: 16 bytes, the timestamp as an int64
 *   followed by 8 zero bytes (OG reserved 128 bits and used the first 64).
 * Value, `com.cloudera.flume.handlers.hdfs.WriteableEvent` (OG's Writable layout):
 *   bodyLength:int32  body  timestamp:int64  priority:int32 (FATAL=0 .. TRACE=5)  nanos:int64
 *   host:utf  fieldCount:int32  (name:utf  valueLength:int32  value){fieldCount}
 *   where utf is Java's writeUTF: length:uint16 then "modified UTF-8" (U+0000 as C0 80, characters
 *   outside the BMP as two 3-byte surrogates), at most 65535 bytes.
 */
export const KEY_CLASS = 'com.cloudera.flume.handlers.hdfs.WriteableEventKey';
export const VALUE_CLASS = 'com.cloudera.flume.handlers.hdfs.WriteableEvent';
export const SEQ_VERSION = 6;
const MAGIC = Buffer.from('SEQ', 'latin1');
const SYNC_SIZE = 16;
const SYNC_ESCAPE = -1;
/** Hadoop's SequenceFile.SYNC_INTERVAL. */
export const SYNC_INTERVAL = 100 * (4 + SYNC_SIZE);
const KEY_LENGTH = 16;
const MAX_PRIORITY = 5;
const EMPTY = Buffer.alloc(0);

// ---------------------------------------------------------------- writing

export interface SeqfileWriterOptions {
  /** The 16-byte sync marker; random by default (tests fix it). */
  sync?: Buffer;
  /** Key/value pairs of the header's metadata. */
  metadata?: Record<string, string>;
}

/**
 * Turns batches into SequenceFile bytes. It tracks the output position from `header()` on to place
 * sync markers where Hadoop would, so one writer belongs to one file.
 */
export class SeqfileWriter {
  private readonly sync: Buffer;
  private readonly metadata: [string, string][];
  private readonly w = new ByteWriter(64 * 1024);
  /** Bytes written to the file so far (header included). */
  private position = 0;
  private lastSyncPos = 0;

  constructor(opts: SeqfileWriterOptions = {}) {
    this.sync = opts.sync ?? randomBytes(SYNC_SIZE);
    if (this.sync.length !== SYNC_SIZE) throw new Error('a SequenceFile sync marker has 16 bytes');
    this.metadata = Object.entries(opts.metadata ?? {});
  }

  header(): Buffer {
    const w = this.w;
    w.raw(MAGIC);
    w.byte(SEQ_VERSION);
    writeText(w, KEY_CLASS);
    writeText(w, VALUE_CLASS);
    w.byte(0);
    w.byte(0);
    w.int32(this.metadata.length);
    for (const [k, v] of this.metadata) {
      writeText(w, k);
      writeText(w, v);
    }
    w.raw(this.sync);
    this.position = w.pos;
    this.lastSyncPos = 0;
    return w.take();
  }

  /**
   * Continues a file of `length` bytes whose header carries this writer's sync marker, instead of
   * writing a header: the first record is preceded by a sync marker, so a reader seeking into the
   * appended part finds one at once.
   */
  resume(length: number): void {
    this.position = length;
    this.lastSyncPos = length - SYNC_INTERVAL;
  }

  encode(batch: Batch): Buffer {
    if (batch.length === 0) return EMPTY;
    const w = this.w;
    const base = this.position;
    const syncBefore = this.lastSyncPos;
    try {
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        if (base + w.pos >= this.lastSyncPos + SYNC_INTERVAL) {
          w.int32(SYNC_ESCAPE);
          w.raw(this.sync);
          this.lastSyncPos = base + w.pos;
        }
        const start = w.pos;
        w.int32(0); // record length, patched below
        w.int32(KEY_LENGTH);
        w.int64(e.timestamp);
        w.int64(0);
        writeValue(w, e);
        w.buf.writeInt32BE(w.pos - start - 8, start);
      }
    } catch (err) {
      // An event that cannot be written (a string over 64 KiB) fails its batch only: the half-written
      // records are dropped, so the next batch continues a well-formed file.
      w.pos = 0;
      this.lastSyncPos = syncBefore;
      throw err;
    }
    this.position = base + w.pos;
    return w.take();
  }
}

function writeValue(w: ByteWriter, e: Event): void {
  w.int32(e.body.length);
  w.raw(e.body);
  w.int64(e.timestamp);
  w.int32(e.priority);
  w.int64(e.nanos);
  writeUtf(w, e.host, 'host');
  const n = e.attrCount;
  w.int32(n);
  for (let i = 0; i < n; i++) {
    writeUtf(w, e.attrName(i), 'attribute name');
    const v = e.attrValue(i);
    w.int32(v.length);
    w.raw(v);
  }
}

/** Hadoop's Text.writeString: a vint length, then UTF-8. */
function writeText(w: ByteWriter, s: string): void {
  const b = Buffer.from(s, 'utf8');
  writeVLong(w, b.length);
  w.raw(b);
}

/** Hadoop WritableUtils.writeVLong: one byte for -112..127, else a length byte then big-endian bytes. */
export function writeVLong(w: ByteWriter, v: number): void {
  if (v >= -112 && v <= 127) {
    w.byte(v & 0xff);
    return;
  }
  let len = -112;
  let rest = v;
  if (v < 0) {
    rest = -v - 1; // v ^ -1
    len = -120;
  }
  let bytes = 0;
  for (let tmp = rest; tmp !== 0; tmp = Math.floor(tmp / 256)) bytes++;
  w.byte((len - bytes) & 0xff);
  for (let i = bytes - 1; i >= 0; i--) w.byte(Math.floor(rest / 256 ** i) % 256);
}

const PLAIN_ASCII = /^[\x01-\x7f]*$/;

/** Java's DataOutput.writeUTF. */
function writeUtf(w: ByteWriter, s: string, what: string): void {
  if (PLAIN_ASCII.test(s)) {
    if (s.length > 0xffff) throw tooLong(what, s.length);
    w.ensure(2 + s.length);
    w.buf.writeUInt16BE(s.length, w.pos);
    w.pos += 2;
    w.pos += w.buf.write(s, w.pos, 'latin1');
    return;
  }
  const lenAt = w.pos;
  w.ensure(2 + s.length * 3);
  w.pos += 2;
  const b = w.buf;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) b[w.pos++] = c;
    else if (c <= 0x7ff) {
      b[w.pos++] = 0xc0 | (c >> 6);
      b[w.pos++] = 0x80 | (c & 0x3f);
    } else {
      b[w.pos++] = 0xe0 | (c >> 12);
      b[w.pos++] = 0x80 | ((c >> 6) & 0x3f);
      b[w.pos++] = 0x80 | (c & 0x3f);
    }
  }
  const len = w.pos - lenAt - 2;
  if (len > 0xffff) {
    w.pos = lenAt;
    throw tooLong(what, len);
  }
  b.writeUInt16BE(len, lenAt);
}

function tooLong(what: string, len: number): SluiceError {
  return new SluiceError(
    'SLUICE_FORMAT',
    `seqfile: ${what} is ${len} bytes; a Writable string holds at most 65535`,
  );
}

// ---------------------------------------------------------------- reading

export interface SeqfileHeader {
  version: number;
  keyClass: string;
  valueClass: string;
  metadata: Record<string, string>;
  sync: Buffer;
  /** Bytes of the header (the offset of the first record). */
  length: number;
}

/** Thrown inside the reader when the bytes at hand end before the structure does. */
class NeedMore extends Error {}
const NEED_MORE = new NeedMore('need more bytes');

/** A cursor over one buffer that knows the file offset of its first byte. */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly limit: number = buf.length,
  ) {}
  need(n: number): void {
    if (this.pos + n > this.limit) throw NEED_MORE;
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number {
    this.need(8);
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * 0x1_0000_0000 + lo;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/**
 * An incremental SequenceFile reader: `push` file bytes as they are read, `next` returns events while
 * whole records are at hand. A header that is not a SequenceFile of Flume events, a broken sync marker
 * or a record that does not parse is a SluiceError SLUICE_FORMAT with the byte offset. Bytes left over
 * at the end (a writer that stopped mid-record) are not an error: `finish()` reports how many.
 */
export class SeqfileReader {
  private buf: Buffer = EMPTY;
  /** File offset of buf[0]. */
  private base = 0;
  private pos = 0;
  private hdr: SeqfileHeader | undefined;

  constructor(private readonly file = 'seqfile') {}

  get header(): SeqfileHeader | undefined {
    return this.hdr;
  }

  push(chunk: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.base += this.buf.length;
      this.buf = chunk;
    } else {
      const rest = this.buf.subarray(this.pos);
      this.base += this.pos;
      this.buf = Buffer.concat([rest, chunk]);
    }
    this.pos = 0;
  }

  /** The next event, or undefined when the bytes pushed so far hold no further whole record. */
  next(): Event | undefined {
    if (this.hdr === undefined && !this.readHeader()) return undefined;
    for (;;) {
      const c = new Cursor(this.buf, this.pos);
      try {
        const len = c.int32();
        if (len === SYNC_ESCAPE) {
          const at = this.base + c.pos;
          const sync = c.bytes(SYNC_SIZE);
          if (!sync.equals(this.hdr!.sync)) throw this.corrupt(at, 'sync marker does not match the header');
          this.pos = c.pos;
          continue;
        }
        const recordAt = this.base + this.pos;
        const keyLen = c.int32();
        if (len < 0 || keyLen !== KEY_LENGTH || len < keyLen) {
          throw this.corrupt(recordAt, `bad record: length ${len}, key length ${keyLen} (expected 16)`);
        }
        c.need(len);
        c.pos += KEY_LENGTH;
        const e = this.readValue(new Cursor(this.buf, c.pos, c.pos + len - keyLen), recordAt);
        this.pos = c.pos + len - keyLen;
        return e;
      } catch (err) {
        if (err === NEED_MORE) return undefined;
        throw err;
      }
    }
  }

  /** Bytes after the last whole record: 0 for a complete file. */
  finish(): number {
    if (this.hdr === undefined) {
      const have = this.buf.length - this.pos;
      const head = this.buf.subarray(this.pos, this.pos + 3);
      if (!MAGIC.subarray(0, head.length).equals(head))
        throw this.corrupt(0, 'not a SequenceFile (no "SEQ" magic)');
      throw this.corrupt(
        this.base + this.buf.length,
        `truncated header (${have} bytes): not a complete SequenceFile`,
      );
    }
    return this.buf.length - this.pos;
  }

  private readHeader(): boolean {
    const c = new Cursor(this.buf, this.pos);
    try {
      const magic = c.bytes(3);
      if (!magic.equals(MAGIC)) throw this.corrupt(0, 'not a SequenceFile (no "SEQ" magic)');
      const version = c.u8();
      if (version !== SEQ_VERSION) {
        throw this.corrupt(3, `SequenceFile version ${version} is not supported (Sluice reads version 6)`);
      }
      let at = c.pos;
      const keyClass = this.readText(c);
      if (keyClass !== KEY_CLASS) throw this.corrupt(at, `key class is ${keyClass}, expected ${KEY_CLASS}`);
      at = c.pos;
      const valueClass = this.readText(c);
      if (valueClass !== VALUE_CLASS)
        throw this.corrupt(at, `value class is ${valueClass}, expected ${VALUE_CLASS}`);
      at = c.pos;
      const compressed = c.u8();
      const blockCompressed = c.u8();
      if (compressed !== 0 || blockCompressed !== 0) {
        throw this.corrupt(at, 'compressed SequenceFiles are not supported (Flume writes them uncompressed)');
      }
      at = c.pos;
      const count = c.int32();
      if (count < 0) throw this.corrupt(at, `bad metadata count ${count}`);
      const metadata: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        const k = this.readText(c);
        metadata[k] = this.readText(c);
      }
      const sync = Buffer.from(c.bytes(SYNC_SIZE));
      this.hdr = { version, keyClass, valueClass, metadata, sync, length: this.base + c.pos };
      this.pos = c.pos;
      return true;
    } catch (err) {
      if (err === NEED_MORE) return false;
      throw err;
    }
  }

  private readText(c: Cursor): string {
    const at = this.base + c.pos;
    const len = readVLong(c);
    if (len < 0 || len > 1 << 20) throw this.corrupt(at, `bad Text length ${len}`);
    return c.bytes(len).toString('utf8');
  }

  private readValue(c: Cursor, recordAt: number): Event {
    try {
      const bodyLen = c.int32();
      if (bodyLen < 0 || c.pos + bodyLen > c.limit)
        throw this.corrupt(recordAt, `bad body length ${bodyLen}`);
      const body = Buffer.from(c.bytes(bodyLen));
      const timestamp = c.int64();
      const prio = c.int32();
      if (prio < 0 || prio > MAX_PRIORITY) throw this.corrupt(recordAt, `bad priority ${prio}`);
      const nanos = c.int64();
      const host = readUtf(c);
      const count = c.int32();
      if (count < 0) throw this.corrupt(recordAt, `bad field count ${count}`);
      let attrs: Map<string, Buffer> | undefined;
      for (let i = 0; i < count; i++) {
        const name = readUtf(c);
        const len = c.int32();
        if (len < 0 || c.pos + len > c.limit)
          throw this.corrupt(recordAt, `bad length ${len} of field ${name}`);
        (attrs ??= new Map()).set(name, Buffer.from(c.bytes(len)));
      }
      if (c.pos !== c.limit) throw this.corrupt(recordAt, `${c.limit - c.pos} stray bytes after the event`);
      return new Event(body, timestamp, prio as Priority, nanos, host, attrs);
    } catch (err) {
      // Inside a record whose length we know, running out of bytes means the record lies.
      if (err === NEED_MORE) throw this.corrupt(recordAt, 'the event is longer than its record');
      throw err;
    }
  }

  private corrupt(offset: number, what: string): SluiceError {
    return new SluiceError('SLUICE_FORMAT', `${this.file}: corrupt SequenceFile at byte ${offset}: ${what}`, {
      place: { file: this.file },
    });
  }
}

/** Hadoop WritableUtils.readVLong. */
function readVLong(c: Cursor): number {
  const first = (c.u8() << 24) >> 24; // as a signed byte
  if (first >= -112) return first;
  const negative = first < -120;
  const len = negative ? -(first + 120) : -(first + 112);
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + c.u8();
  return negative ? -v - 1 : v;
}

/** Java's DataInput.readUTF (modified UTF-8). */
function readUtf(c: Cursor): string {
  c.need(2);
  const len = c.buf.readUInt16BE(c.pos);
  c.pos += 2;
  const b = c.bytes(len);
  let ascii = true;
  for (let i = 0; i < len; i++) {
    if (b[i]! >= 0x80 || b[i] === 0) {
      ascii = false;
      break;
    }
  }
  if (ascii) return b.toString('latin1');
  const units: number[] = [];
  for (let i = 0; i < len; ) {
    const x = b[i]!;
    if (x < 0x80) {
      units.push(x);
      i++;
    } else if ((x & 0xe0) === 0xc0 && i + 1 < len) {
      units.push(((x & 0x1f) << 6) | (b[i + 1]! & 0x3f));
      i += 2;
    } else if ((x & 0xf0) === 0xe0 && i + 2 < len) {
      units.push(((x & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f));
      i += 3;
    } else {
      units.push(0xfffd);
      i++;
    }
  }
  let s = '';
  for (let i = 0; i < units.length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
  return s;
}

// ---------------------------------------------------------------- as an output format

/** SequenceFile as an output format, for bucketed writers (`escapedCustomDfs(path, file, "seqfile")`). */
export const seqfileFormat: FormatDef = {
  kind: 'format',
  name: 'seqfile',
  docs: `A Hadoop SequenceFile (version 6, uncompressed) of ${KEY_CLASS} keys and ${VALUE_CLASS} values, Flume OG's HDFS record format.`,
  extension: '.seq',
  create(): OutputFormat {
    const writer = new SeqfileWriter();
    let headerSent = false;
    return {
      name: 'seqfile',
      header: () => {
        headerSent = true;
        return writer.header();
      },
      encode: (batch) => {
        if (headerSent || batch.length === 0) return writer.encode(batch);
        headerSent = true;
        return Buffer.concat([writer.header(), writer.encode(batch)]);
      },
      footer: () => EMPTY,
    };
  },
};
