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

/**
 * Bytes a buffer is charged at least, whatever its length: what its length field and its view cost to
 * keep. Java cuts frames into 8 KiB buffers, so real frames never notice; a frame of millions of one-byte
 * buffers (16 million cost 1.87 GB when counted by payload alone) runs out of budget at its header.
 */
export const MIN_BUFFER_COST = 128;

/** What a server lets one frame buffer before the handshake at its head has been read and accepted. */
export const DEFAULT_HANDSHAKE_FRAME_SIZE = 64 * 1024;

/**
 * Looks at the first bytes of a frame (a prefix of its payload) and says whether the handshake at its head
 * lets the frame grow past the handshake limit: true yes, a string no (the reason), undefined when the
 * prefix does not hold the whole handshake yet.
 */
export type HandshakeGate = (prefix: Buffer) => true | string | undefined;

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
 * Limits are checked as the header and lengths arrive, before any data is kept: the buffer count at the
 * header (each buffer costs at least MIN_BUFFER_COST), the running total at each length. Garbage (a
 * negative or absurd count or length) and frames over the limit raise a SluiceError from `push`; the
 * decoder then refuses further input, since the stream has no way to resynchronize.
 *
 * With a gate set (a server before its handshake), a frame may grow past `gateBytes` only once the gate
 * accepted the handshake at its head, read from at most about `gateBytes` of data: Avro clients (Java's
 * and Sluice's) send their first call in the handshake's frame, so a first batch may be large, but nothing
 * beyond a small prefix is buffered for a peer that has not shown an acceptable handshake.
 */
export class FrameDecoder {
  private state = State.Header;
  private readonly scratch = Buffer.alloc(8);
  private scratchFill = 0;
  private serial = 0;
  private buffersLeft = 0;
  /** Bytes charged to this frame so far (lengths, each at least MIN_BUFFER_COST). */
  private frameSize = 0;
  /** Payload bytes of this frame held in `parts`. */
  private held = 0;
  private dataLeft = 0;
  private parts: Buffer[] = [];
  private gate: HandshakeGate | undefined;
  private gateBytes = 0;
  /** The gate was asked and wants to see the data of the buffer being read. */
  private gateWaiting = false;

  constructor(
    private readonly onFrame: FrameHandler,
    readonly maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE,
  ) {}

  /** Until `openGate`, frames above `bytes` must pass `gate` (see the class comment). */
  setGate(gate: HandshakeGate, bytes: number): void {
    this.gate = gate;
    this.gateBytes = Math.min(bytes, this.maxFrameSize);
  }

  /** The handshake completed: later frames are bounded by maxFrameSize only. */
  openGate(): void {
    this.gate = undefined;
    this.gateWaiting = false;
  }

  /** Payload bytes buffered for the frame being received (released when it completes or the decoder fails). */
  get pendingBytes(): number {
    return this.held;
  }

  push(chunk: Buffer): void {
    if (this.state === State.Failed) throw new SluiceError('SLUICE_FORMAT', 'frame decoder already failed');
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.state === State.Data) {
        const n = Math.min(this.dataLeft, end - pos);
        this.parts.push(pos === 0 && n === end ? chunk : chunk.subarray(pos, pos + n));
        pos += n;
        this.held += n;
        this.dataLeft -= n;
        if (this.gateWaiting && (this.dataLeft === 0 || this.held >= this.gateBytes)) this.askGate(true);
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

  /** Releases what a half-received frame holds (the connection closed). */
  release(): void {
    this.parts = [];
    this.held = 0;
    this.state = State.Failed;
  }

  private onHeader(serial: number, count: number): void {
    if (count <= 0) {
      this.fail(new SluiceError('SLUICE_FORMAT', `bad frame: buffer count ${count} (serial ${serial})`));
    }
    // Judged on the header alone: a gate may lift the limit later, but never past maxFrameSize.
    if (count > Math.floor(this.maxFrameSize / MIN_BUFFER_COST) + 1) {
      this.fail(
        new SluiceError(
          'SLUICE_FRAME_TOO_LARGE',
          `bad frame: ${count} buffers exceed the limit of ${Math.floor(this.maxFrameSize / MIN_BUFFER_COST) + 1} (each costs at least ${MIN_BUFFER_COST} of the ${this.maxFrameSize} bytes allowed; serial ${serial})`,
        ),
      );
    }
    this.serial = serial;
    this.buffersLeft = count;
    this.frameSize = 0;
    this.held = 0;
    this.state = State.Length;
  }

  private onLength(len: number): void {
    if (len < 0) this.fail(new SluiceError('SLUICE_FORMAT', `bad frame: negative buffer length ${len}`));
    this.frameSize += Math.max(len, MIN_BUFFER_COST);
    if (this.frameSize > this.maxFrameSize) {
      this.fail(
        new SluiceError(
          'SLUICE_FRAME_TOO_LARGE',
          `frame of at least ${this.frameSize} bytes exceeds the limit of ${this.maxFrameSize} bytes`,
        ),
      );
    }
    if (this.gate !== undefined && !this.gateWaiting && this.frameSize > this.gateBytes) this.askGate(false);
    this.dataLeft = len;
    // A zero-length buffer has no data to wait for: it ends here, even as the last bytes of a chunk.
    if (len === 0) this.endBuffer();
    else this.state = State.Data;
  }

  /**
   * Shows the gate what the frame holds so far. `last` is the final look: the gate has the buffer it was
   * waiting for, or about gateBytes of data, and must decide.
   */
  private askGate(last: boolean): void {
    const gate = this.gate!;
    const verdict = gate(this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held));
    if (verdict === true) {
      this.openGate();
      return;
    }
    if (verdict === undefined && !last) {
      this.gateWaiting = true;
      return;
    }
    this.fail(
      new SluiceError(
        'SLUICE_FRAME_TOO_LARGE',
        verdict === undefined
          ? `frame of at least ${this.frameSize} bytes before the handshake, whose first ${this.held} bytes hold no complete handshake (limit ${this.gateBytes} bytes until the handshake is accepted)`
          : `frame of at least ${this.frameSize} bytes before the handshake refused: ${verdict}`,
      ),
    );
  }

  private endBuffer(): void {
    if (--this.buffersLeft > 0) {
      this.state = State.Length;
      return;
    }
    const parts = this.parts;
    const payload = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.held);
    this.parts = [];
    this.held = 0;
    this.gateWaiting = false;
    this.state = State.Header;
    this.onFrame(this.serial, payload);
  }

  private fail(err: SluiceError): never {
    this.state = State.Failed;
    this.parts = [];
    this.held = 0;
    throw err;
  }
}
