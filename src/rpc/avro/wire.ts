import { SluiceError } from '../../core/errors.js';

/**
 * Avro binary decoding (the encoder is core/byte-writer.ts, shared with formats/): see its grammar.
 */
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
