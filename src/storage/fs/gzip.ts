import { finished } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { asSluiceError, SluiceError } from '../../core/errors.js';
import type { WritableFile } from './types.js';

/**
 * Gzips everything written into one gzip member per file (one zlib stream, not one per write, so small
 * batches still compress well). Backpressure runs both ways: the caller waits while zlib's input is
 * full, and zlib's output is paused while the underlying file asks its own caller to wait.
 */
export class GzipFile implements WritableFile {
  bytesWritten = 0;
  private readonly gz: Gzip;
  private inner: Promise<void> | undefined;
  private failed: SluiceError | undefined;
  private closed = false;

  constructor(
    private readonly file: WritableFile,
    level?: number,
  ) {
    this.gz = createGzip(level === undefined ? {} : { level });
    this.gz.on('data', (chunk: Buffer) => {
      let r: void | Promise<void>;
      try {
        r = this.file.write(chunk);
      } catch (e) {
        this.fail(e);
        return;
      }
      if (r) {
        this.gz.pause();
        this.inner = r.then(
          () => {
            this.inner = undefined;
            this.gz.resume();
          },
          (e: unknown) => {
            this.inner = undefined;
            this.fail(e);
          },
        );
      }
    });
    this.gz.on('error', (e) => this.fail(e));
  }

  get path(): string {
    return this.file.path;
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = asSluiceError(e, 'SLUICE_IO', { file: this.file.path });
    // Unblocks a `close` waiting for the stream to end; it then reports `failed`.
    this.gz.destroy(this.failed);
  }

  write(chunk: Buffer): void | Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed)
      return Promise.reject(new SluiceError('SLUICE_CLOSED', `write to closed file ${this.path}`));
    if (chunk.length === 0) return;
    this.bytesWritten += chunk.length;
    if (this.gz.write(chunk)) return;
    return new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.gz.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.gz.off('drain', onDrain);
        reject(this.failed ?? new SluiceError('SLUICE_IO', `gzip stream of ${this.path} closed`));
      };
      this.gz.once('drain', onDrain);
      this.gz.once('close', onClose);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.failed) {
      this.gz.end();
      try {
        await finished(this.gz);
      } catch (e) {
        this.fail(e);
      }
      while (this.inner) await this.inner;
    }
    if (this.failed) {
      await this.file.abort();
      throw this.failed;
    }
    await this.file.close();
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gz.destroy();
    await this.file.abort();
  }
}
