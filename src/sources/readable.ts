import type { Readable } from 'node:stream';

/**
 * Pulls chunks from a Node Readable in paused mode, so the stream's own buffering gives backpressure
 * (nothing is read while the pipeline is busy). `read()` returns a chunk at once when one is buffered,
 * otherwise a promise; null at the end of the stream or after `release()`.
 */
export class StreamChunks {
  private ended = false;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;

  constructor(private readonly stream: Readable) {
    stream.on('readable', this.wake);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
  }

  read(): Buffer | null | Promise<Buffer | null> {
    const c = this.readNow();
    if (c !== undefined) return c;
    return this.readLater();
  }

  /** Stops reading and detaches from the stream (which stays open: it may be process.stdin). */
  release(): void {
    this.ended = true;
    this.stream.off('readable', this.wake);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    this.stream.pause();
    this.wake();
  }

  /** A chunk, null at the end, or undefined when the caller must wait. */
  private readNow(): Buffer | null | undefined {
    if (this.failure) throw this.failure;
    if (this.ended) return null;
    const c: unknown = this.stream.read();
    if (c !== null) return typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    if (this.stream.readableEnded) {
      this.ended = true;
      return null;
    }
    return undefined;
  }

  private async readLater(): Promise<Buffer | null> {
    for (;;) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      const c = this.readNow();
      if (c !== undefined) return c;
    }
  }

  private readonly wake = (): void => {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  };
  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake();
  };
  private readonly onError = (e: Error): void => {
    this.failure = e;
    this.wake();
  };
}
