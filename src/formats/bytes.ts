/**
 * A growable output buffer for binary formats (Avro, SequenceFile): one allocation per batch in the
 * common case, written with plain index arithmetic.
 */
export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
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

  /** Avro's zig-zag varint `long`; plain arithmetic, since bit operators stop at 32 bits. */
  avroLong(v: number): void {
    this.ensure(10);
    let n = v >= 0 ? v * 2 : -v * 2 - 1;
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  /** Avro `bytes`: length then the bytes. */
  avroBytes(b: Uint8Array): void {
    this.avroLong(b.length);
    this.bytes(b);
  }

  /** Avro `string`: UTF-8 length then the bytes. */
  avroString(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.avroLong(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A copy of what was written (the writer's buffer is reused). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}
