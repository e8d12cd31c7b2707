import { SluiceError } from '../../core/errors.js';

/**
 * Avro binary encoding primitives, written by hand because the hot path (appendBatch of thousands of
 * events) must write straight into one growing buffer without building intermediate JS objects.
 *
 *   long/int  zig-zag varint, 7 bits per byte, low group first
 *   bytes     long length, then the bytes;  string = bytes holding UTF-8
 *   map/array blocks: long count (negative: |count| items follow a long byte size), items; 0 ends
 *
 * Integers are JavaScript numbers: exact within ±2^52 (the zig-zag doubles them), which covers every value Flume and Spark send
 * (timestamps, counts, lengths).
 */
export class Writer {
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

  /** Raw bytes with no length prefix (pre-encoded parts, fixed types). */
  raw(b: Buffer): void {
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

  bytes(b: Buffer): void {
    this.long(b.length);
    this.raw(b);
  }

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

  /** The bytes written so far (a view of the internal buffer: do not keep writing after taking it). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}

export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    pos = 0,
    end = buf.length,
  ) {
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  long(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b = 0;
    let n = 0;
    let shift = 0;
    // Up to 4 groups (28 bits) fit a bit-operation fast path.
    do {
      if (pos >= this.end) throw truncated();
      b = buf[pos++]!;
      n |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 28);
    if (b & 0x80) {
      let m = n >>> 0;
      let mul = 268435456;
      do {
        if (pos >= this.end) throw truncated();
        if (shift > 63) throw new SluiceError('SLUICE_FORMAT', 'avro varint longer than 10 bytes');
        b = buf[pos++]!;
        m += (b & 0x7f) * mul;
        mul *= 128;
        shift += 7;
      } while (b & 0x80);
      this.pos = pos;
      return m % 2 === 0 ? m / 2 : -(m + 1) / 2;
    }
    this.pos = pos;
    return (n >>> 1) ^ -(n & 1);
  }

  int(): number {
    return this.long();
  }

  boolean(): boolean {
    if (this.pos >= this.end) throw truncated();
    const b = this.buf[this.pos++]!;
    if (b > 1) throw new SluiceError('SLUICE_FORMAT', `avro boolean byte ${b} is neither 0 nor 1`);
    return b === 1;
  }

  /** A length-prefixed byte range as [start, end) without copying. */
  span(): number {
    const len = this.long();
    if (len < 0) throw new SluiceError('SLUICE_FORMAT', `negative avro length ${len}`);
    if (len > this.end - this.pos) throw truncated();
    const start = this.pos;
    this.pos += len;
    return start;
  }

  /** A view into the source buffer (no copy): the caller owns it as long as the frame lives. */
  bytes(): Buffer {
    const start = this.span();
    return this.buf.subarray(start, this.pos);
  }

  string(): string {
    const start = this.span();
    return this.buf.toString('utf8', start, this.pos);
  }

  fixed(n: number): Buffer {
    if (n > this.end - this.pos) throw truncated();
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /**
   * The item count of the next map/array block (0 = end). A negative count is followed by the block's
   * byte size, which we read and ignore (Java never writes it; other encoders may).
   */
  blockCount(): number {
    let n = this.long();
    if (n < 0) {
      n = -n;
      this.long();
    }
    // Each item takes at least one byte, so a count beyond the remaining bytes is garbage, not a reason
    // to allocate.
    if (n > this.end - this.pos) throw truncated();
    return n;
  }

  map(): Map<string, Buffer> {
    const m = new Map<string, Buffer>();
    for (let n = this.blockCount(); n > 0; n = this.blockCount()) {
      for (let i = 0; i < n; i++) {
        const k = this.string();
        m.set(k, this.bytes());
      }
    }
    return m;
  }
}

function truncated(): SluiceError {
  return new SluiceError('SLUICE_FORMAT', 'avro data ends in the middle of a value');
}
