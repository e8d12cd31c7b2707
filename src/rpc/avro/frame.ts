import { SluiceError } from '../../core/errors.js';

/**
 * Netty framing of Avro IPC (Java's NettyTransportCodec "NettyDataPack"), all integers big-endian int32:
 *
 *   frame := serial:int32 bufferCount:int32 (length:int32 byte{length}){bufferCount}
 *
 * The payload is the buffers concatenated: split points carry no meaning, so the decoder accepts any
 * split and any TCP chunking. The encoder never writes bufferCount 0 (Java's decoder loses sync on it)
 * and cuts payloads into pieces of at most CHUNK bytes, as Java's ByteBufferOutputStream does, so peers
 * that size their reads on Java's habits see familiar frames.
 */
export const CHUNK = 8192;
export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024;

/** One frame's bytes, ready for the socket: a single allocation whatever the number of parts. */
export function encodeFrame(serial: number, parts: readonly Buffer[]): Buffer {
  let total = 0;
  for (const p of parts) total += p.length;
  const chunks = Math.max(1, Math.ceil(total / CHUNK));
  const out = Buffer.allocUnsafe(8 + chunks * 4 + total);
  // Serials grow without bound on long-lived connections: keep the low 32 bits, as Java's int wraps.
  out.writeInt32BE(serial | 0, 0);
  out.writeInt32BE(chunks, 4);
  let pos = 8;
  let partIndex = 0;
  let partPos = 0;
  let left = total;
  for (let c = 0; c < chunks; c++) {
    const len = Math.min(CHUNK, left);
    out.writeInt32BE(len, pos);
    pos += 4;
    let need = len;
    while (need > 0) {
      const part = parts[partIndex]!;
      const n = Math.min(need, part.length - partPos);
      part.copy(out, pos, partPos, partPos + n);
      pos += n;
      need -= n;
      partPos += n;
      if (partPos === part.length) {
        partIndex++;
        partPos = 0;
      }
    }
    left -= len;
  }
  return out;
}

export type FrameHandler = (serial: number, payload: Buffer) => void;

enum State {
  Header,
  Length,
  Data,
  Failed,
}

/**
 * Incremental decoder: push TCP chunks as they come, get whole frames. Bytes of a frame's data are kept
 * as views of the pushed chunks and joined once, so a large frame arriving in many chunks costs one copy.
 *
 * Garbage (a negative or absurd count or length) and frames above `maxFrameSize` raise a SluiceError from
 * `push`; the decoder then refuses further input, since the stream has no way to resynchronize.
 */
export class FrameDecoder {
  private state = State.Header;
  private readonly scratch = Buffer.alloc(8);
  private scratchFill = 0;
  private serial = 0;
  private buffersLeft = 0;
  private frameSize = 0;
  private dataLeft = 0;
  private parts: Buffer[] = [];

  constructor(
    private readonly onFrame: FrameHandler,
    readonly maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE,
  ) {}

  push(chunk: Buffer): void {
    if (this.state === State.Failed) throw new SluiceError('SLUICE_FORMAT', 'frame decoder already failed');
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.state === State.Data) {
        const n = Math.min(this.dataLeft, end - pos);
        this.parts.push(pos === 0 && n === end ? chunk : chunk.subarray(pos, pos + n));
        pos += n;
        this.dataLeft -= n;
        if (this.dataLeft === 0) this.endBuffer();
        continue;
      }
      const need = this.state === State.Header ? 8 : 4;
      // Fast path: the whole field is inside this chunk.
      let field: Buffer;
      let at: number;
      if (this.scratchFill === 0 && end - pos >= need) {
        field = chunk;
        at = pos;
        pos += need;
      } else {
        const n = Math.min(need - this.scratchFill, end - pos);
        chunk.copy(this.scratch, this.scratchFill, pos, pos + n);
        this.scratchFill += n;
        pos += n;
        if (this.scratchFill < need) break;
        this.scratchFill = 0;
        field = this.scratch;
        at = 0;
      }
      if (this.state === State.Header) this.onHeader(field.readInt32BE(at), field.readInt32BE(at + 4));
      else this.onLength(field.readInt32BE(at));
    }
  }

  /** True when no partial frame is buffered (a clean place to close a connection). */
  get idle(): boolean {
    return this.state === State.Header && this.scratchFill === 0;
  }

  private onHeader(serial: number, count: number): void {
    // Every buffer costs at least its 4-byte length, which bounds a believable count.
    if (count <= 0 || count > this.maxFrameSize / 4 + 1) {
      this.fail(new SluiceError('SLUICE_FORMAT', `bad frame: buffer count ${count} (serial ${serial})`));
    }
    this.serial = serial;
    this.buffersLeft = count;
    this.frameSize = 0;
    this.state = State.Length;
  }

  private onLength(len: number): void {
    if (len < 0) this.fail(new SluiceError('SLUICE_FORMAT', `bad frame: negative buffer length ${len}`));
    this.frameSize += len;
    if (this.frameSize > this.maxFrameSize) {
      this.fail(
        new SluiceError(
          'SLUICE_FRAME_TOO_LARGE',
          `frame of at least ${this.frameSize} bytes exceeds the limit of ${this.maxFrameSize} bytes`,
        ),
      );
    }
    this.dataLeft = len;
    if (len === 0) this.endBuffer();
    else this.state = State.Data;
  }

  private endBuffer(): void {
    if (--this.buffersLeft > 0) {
      this.state = State.Length;
      return;
    }
    const parts = this.parts;
    const payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.frameSize);
    this.parts = [];
    this.state = State.Header;
    this.onFrame(this.serial, payload);
  }

  private fail(err: SluiceError): never {
    this.state = State.Failed;
    this.parts = [];
    throw err;
  }
}
