import type { Socket } from 'node:net';
import zlib from 'node:zlib';
import { asSluiceError, type SluiceError } from '../../core/errors.js';
import type { GuardedConnection } from '../connection-guard.js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  FrameDecoder,
  type FrameHandler,
  type HandshakeGate,
} from './frame.js';

export type Compression = 'none' | 'deflate';

export interface TransportOptions {
  /**
   * 'deflate': one zlib stream (RFC 1950) per direction for the life of the connection, under the frame
   * codec, with a sync flush after every frame (what Netty's ZlibEncoder/ZlibDecoder in Flume's and
   * Spark's pipelines do). Nothing is negotiated: both ends must be configured alike.
   */
  compression?: Compression | undefined;
  /** zlib level 0-9 (Flume's compression-level; default 6). */
  compressionLevel?: number | undefined;
  maxFrameSize?: number | undefined;
}

/**
 * Frames over one socket (plain or TLS: TLS sits outermost, compression inside it). Knows nothing of
 * messages: whole frames in, whole frames out.
 */
export class FrameTransport {
  private readonly decoder: FrameDecoder;
  private readonly deflate: zlib.Deflate | undefined;
  private readonly inflate: zlib.Inflate | undefined;
  private failed = false;
  private paused = false;
  private guard: GuardedConnection | undefined;

  constructor(
    readonly socket: Socket,
    opts: TransportOptions,
    onFrame: FrameHandler,
    private readonly onError: (err: SluiceError) => void,
    /** Called once the socket closed and every byte received before has been through onFrame. */
    onClose?: () => void,
  ) {
    this.decoder = new FrameDecoder(onFrame, opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
    socket.setNoDelay(true);
    if (opts.compression === 'deflate') {
      const level = opts.compressionLevel ?? 6;
      this.deflate = zlib.createDeflate({ level });
      this.inflate = zlib.createInflate();
      this.deflate.on('data', (d: Buffer) => {
        if (!socket.destroyed) socket.write(d);
      });
      this.deflate.on('error', (e) => this.fail(e));
      this.inflate.on('data', (d: Buffer) => this.feed(d));
      this.inflate.on('error', (e) => this.fail(e));
      socket.on('data', (c: Buffer) => {
        if (!this.failed) this.inflate!.write(c);
      });
    } else {
      socket.on('data', (c: Buffer) => this.feed(c));
    }
    socket.once('close', () => {
      // zlib works off the main thread: frames still inside the inflater (a refusal sent just before
      // the peer closed) must come out before the close is reported. Then a half-received frame is of
      // no use to anyone: let its buffers go now rather than when the connection object is collected.
      const done = () => {
        this.decoder.release();
        onClose?.();
      };
      // A paused reader does not want those frames (and a paused inflater would never flush).
      if (this.inflate && !this.failed && !this.paused) this.inflate.flush(done);
      else done();
    });
  }

  /** Reports reads, writes and half-received frames to a connection guard (servers). */
  track(guard: GuardedConnection): void {
    this.guard = guard;
  }

  /** Until `openGate`, a frame above `bytes` must show an acceptable handshake first (FrameDecoder). */
  setGate(gate: HandshakeGate, bytes: number): void {
    this.decoder.setGate(gate, bytes);
  }

  openGate(): void {
    this.decoder.openGate();
  }

  /** Payload bytes of the frame being received. */
  get pendingBytes(): number {
    return this.decoder.pendingBytes;
  }

  /** Writes one frame; false when the socket's buffer is full (wait for `drain` before writing more). */
  send(serial: number, parts: readonly Buffer[]): boolean {
    if (this.failed || this.socket.destroyed) return false;
    const frame = encodeFrame(serial, parts);
    this.guard?.activity();
    if (this.deflate) {
      this.deflate.write(frame);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
      return !this.socket.writableNeedDrain;
    }
    return this.socket.write(frame);
  }

  /**
   * Stops reading. The inflater stops too: what it already holds would otherwise keep coming out (a
   * small compressed chunk can inflate to many frames). A frame left half-read while we do not read is
   * our doing, not a slow peer's: the guard's read timeout does not run meanwhile.
   */
  pause(): void {
    this.paused = true;
    this.socket.pause();
    this.inflate?.pause();
    this.guard?.partial(false);
  }

  resume(): void {
    this.paused = false;
    this.guard?.activity();
    this.guard?.partial(!this.decoder.idle);
    this.inflate?.resume();
    this.socket.resume();
  }

  /** Ends the connection after what was written (a refusal's error response) has been sent. */
  end(): void {
    if (this.deflate) {
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => this.socket.end());
    } else {
      this.socket.end();
    }
  }

  destroy(): void {
    this.failed = true;
    this.socket.destroy();
    this.deflate?.destroy();
    this.inflate?.destroy();
    this.decoder.release();
  }

  private feed(chunk: Buffer): void {
    if (this.failed) return;
    const g = this.guard;
    try {
      this.decoder.push(chunk);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (g !== undefined) {
      g.activity();
      if (!this.paused) g.partial(!this.decoder.idle);
    }
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(asSluiceError(e, 'SLUICE_FORMAT'));
  }
}
