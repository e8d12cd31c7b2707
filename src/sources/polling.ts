import type { FSWatcher } from 'node:fs';
import { watch } from 'node:fs';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { EventQueue, MAX_BATCH } from './lines.js';
import { Waker } from './waker.js';

/** How often file-following sources look at their files when no notification came. */
export const DEFAULT_POLL_MS = 100;

export interface PollingOptions {
  /** Milliseconds between polls when nothing happens (file-system notifications wake it earlier). */
  pollMs?: number;
}

/**
 * Base of the endless file-following sources. Subclasses implement `poll()`, which reads what is
 * available into `queue`; this class runs the loop (sleep when a poll found nothing), wakes early on
 * fs.watch notifications, and makes `close()` end a pending `next()` with null at once.
 *
 * fs.watch only assists: it is unreliable across platforms and file systems (NFS, renames out of the
 * directory), so correctness rests on polling and a notification only cuts latency.
 */
export abstract class PollingSource implements EventSource {
  protected readonly queue = new EventQueue();
  protected readonly waker = new Waker();
  protected readonly pollMs: number;
  protected closed = false;
  private inflight: Promise<Batch | null> | undefined;
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(
    protected readonly log: Logger,
    opts: PollingOptions,
  ) {
    this.pollMs = Math.max(1, opts.pollMs ?? DEFAULT_POLL_MS);
  }

  abstract open(): Promise<void>;

  /** Reads what is available into `queue`; true when anything changed (read, rotated, reopened). */
  protected abstract poll(): Promise<boolean>;

  /** Releases files; called once by `close()` after any running poll has finished. */
  protected abstract release(): Promise<void>;

  /** The first `n` events of the queue were handed out (a source keeping positions follows them). */
  protected handedOut(_n: number): void {}

  next(): Batch | null | Promise<Batch | null> {
    const b = this.queue.take(MAX_BATCH);
    if (b !== null) {
      this.handedOut(b.length);
      return b;
    }
    if (this.closed) return null;
    const p = this.loop();
    this.inflight = p;
    return p;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waker.close();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.inflight?.catch(() => null);
    this.queue.clear();
    await this.release();
  }

  /**
   * Watches a directory; `onName` decides whether a changed entry concerns this source (a null name
   * means the platform did not say, so it always wakes).
   */
  protected watchDir(dir: string, onName: (name: string) => boolean): void {
    if (this.closed || this.watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, (_type, name) => {
        if (name === null || onName(name.toString())) this.waker.wake();
      });
      w.on('error', () => {
        // The directory went away or the platform gave up: polling carries on alone.
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    } catch {
      // Missing directory or no watch support: polling alone still works.
    }
  }

  protected unwatchDir(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private async loop(): Promise<Batch | null> {
    try {
      while (!this.closed) {
        const progress = await this.poll();
        if (this.closed) break;
        const b = this.queue.take(MAX_BATCH);
        if (b !== null) {
          this.handedOut(b.length);
          return b;
        }
        if (!progress) await this.waker.wait(this.pollMs);
      }
      return null;
    } catch (e) {
      if (this.closed) return null;
      throw e;
    } finally {
      this.inflight = undefined;
    }
  }
}
