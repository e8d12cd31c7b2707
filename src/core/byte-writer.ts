/**
 * The one growable output buffer for binary encodings: Avro (the RPC wire in rpc/avro/, container files
 * in formats/) and big-endian Java/Hadoop fields (SequenceFiles). It lives in core/ because formats/ and
 * rpc/ are one layer and may not import each other. The hot paths (appendBatch of thousands of events, a
 * file block per batch) write straight into it without building intermediate JS objects.
 *
 * Avro binary encoding:
 *   long/int  zig-zag varint, 7 bits per byte, low group first
 *   bytes     long length, then the bytes;  string = bytes holding UTF-8
 *   map/array blocks: long count (negative: |count| items follow a long byte size), items; 0 ends
 *
 * Integers are JavaScript numbers: exact within ±2^52 (the zig-zag doubles them), which covers every
 * value Flume and Spark send (timestamps, counts, lengths).
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  // ------------------------------------------------------------ Avro

  /** Avro `long` (and `int`): zig-zag varint. */
  long(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (n >= -0x40000000 && n < 0x40000000) {
      // Fits a 31-bit zig-zag: bit operations are exact here and much faster than division.
      let z = n >= 0 ? n << 1 : (~n << 1) | 1;
      while (z > 0x7f) {
        buf[pos++] = (z & 0x7f) | 0x80;
        z >>>= 7;
      }
      buf[pos++] = z;
    } else {
      // Bit operators stop at 32 bits: plain arithmetic beyond.
      let z = n >= 0 ? n * 2 : -n * 2 - 1;
      while (z >= 0x80) {
        buf[pos++] = (z % 0x80) | 0x80;
        z = Math.floor(z / 0x80);
      }
      buf[pos++] = z;
    }
    this.pos = pos;
  }

  int(n: number): void {
    this.long(n);
  }

  boolean(b: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = b ? 1 : 0;
  }

  /** Avro `bytes`: length then the bytes. */
  bytes(b: Uint8Array): void {
    this.long(b.length);
    this.raw(b);
  }

  /** Avro `string`: UTF-8 length then the bytes. */
  string(s: string): void {
    // An ASCII string's byte length equals its length; the first write tells us if it was ASCII.
    if (s.length < 0x40) {
      this.ensure(1 + s.length * 3);
      const start = this.pos;
      const written = this.buf.write(s, start + 1);
      if (written < 0x40) {
        this.buf[start] = written << 1;
        this.pos = start + 1 + written;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.long(len);
    this.ensure(len);
    this.buf.write(s, this.pos, len);
    this.pos += len;
  }

  /**
   * A non-negative integer as an Avro string of its decimal digits (Flume's numeric headers), written
   * without building the JavaScript string; other numbers take the string path.
   */
  decimalString(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n))) {
      this.string(String(n));
      return;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    this.ensure(1 + digits);
    const buf = this.buf;
    const start = this.pos;
    buf[start] = digits << 1;
    let i = start + digits;
    let v = n;
    // Above int32 range division must stay in doubles; below it, integer arithmetic is much faster.
    while (v > 0x7fffffff) {
      const q = Math.floor(v / 10);
      buf[i--] = 48 + (v - q * 10);
      v = q;
    }
    let s = v | 0;
    while (s >= 10) {
      const q = (s / 10) | 0;
      buf[i--] = 48 + s - q * 10;
      s = q;
    }
    buf[i] = 48 + s;
    this.pos = start + 1 + digits;
  }

  /** A map<bytes> or map<string> written as one block (what Java writes). */
  map(entries: ReadonlyMap<string, Buffer | string> | undefined): void {
    const size = entries?.size ?? 0;
    if (size > 0 && entries) {
      this.long(size);
      for (const [k, v] of entries) {
        this.string(k);
        if (typeof v === 'string') this.string(v);
        else this.bytes(v);
      }
    }
    this.long(0);
  }

  // ------------------------------------------------------------ raw and big-endian (Java DataOutput)

  /** Raw bytes with no length prefix (pre-encoded parts, fixed types, magic numbers). */
  raw(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    if (n < 16) {
      // Header keys and short values: a loop beats the native copy's call overhead.
      const buf = this.buf;
      const pos = this.pos;
      for (let i = 0; i < n; i++) buf[pos + i] = b[i]!;
    } else {
      this.buf.set(b, this.pos);
    }
    this.pos += n;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  /** A big-endian Java long from an integral JS number, without a BigInt per call. */
  int64(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 0x1_0000_0000);
    this.buf.writeInt32BE(hi | 0, this.pos);
    this.buf.writeUInt32BE(v - hi * 0x1_0000_0000, this.pos + 4);
    this.pos += 8;
  }

  // ------------------------------------------------------------ taking the result

  /** The bytes written so far (a view of the internal buffer: do not keep writing after taking it). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A copy of what was written, and the writer emptied for reuse. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  reset(): void {
    this.pos = 0;
  }
}
