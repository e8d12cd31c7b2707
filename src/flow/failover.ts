import { Backoff } from '../core/backoff.js';
import { asSluiceError, isFatal } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { OutageLog } from '../core/outage.js';
import type { EventSink } from '../core/pipeline.js';

export interface FailoverOptions {
  /** First wait before retrying a failed primary (ms). */
  initialBackoff?: number;
  /** The wait doubles after each failure up to this (ms). */
  maxBackoff?: number;
  now?: () => number;
  logger?: Logger;
}

/**
 * Failover `< primary ? backup >`: events go to the primary; when it fails to open or append, the
 * batch goes to the backup and the primary is retried after an exponential backoff. A batch fails
 * only when both fail (then the caller decides: a stubbornAppend, a WAL, or the node's ERROR state).
 */
export class FailoverSink implements EventSink {
  private primaryUp = false;
  private backupOpen = false;
  private retryAt = 0;
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private readonly outage: OutageLog | undefined;

  constructor(
    private readonly primary: EventSink,
    private readonly backup: EventSink,
    private readonly opts: FailoverOptions = {},
  ) {
    this.backoff = new Backoff({ initialMs: opts.initialBackoff ?? 1000, maxMs: opts.maxBackoff ?? 60_000 });
    this.now = opts.now ?? Date.now;
    this.outage = opts.logger
      ? new OutageLog(opts.logger, 'failover: primary', {
          down: 'failing',
          meanwhile: 'using the backup and retrying the primary with backoff',
          up: 'delivering again',
        })
      : undefined;
  }

  /**
   * Opens both sides: a backup may have work of its own from the start (a diskFailover backup drains
   * what an earlier run spilled while the primary is healthy). A backup that cannot open while the
   * primary did is opened again when a batch needs it.
   */
  async open(): Promise<void> {
    try {
      await this.primary.open();
      this.primaryUp = true;
    } catch (e) {
      this.primaryFailed(e);
      await this.openBackup();
      return;
    }
    try {
      await this.openBackup();
    } catch (e) {
      if (isFatal(e, 'start')) throw e;
      this.opts.logger?.warn(
        `failover: backup did not open (${asSluiceError(e).oneLine()}); opening it again when needed`,
      );
    }
  }

  append(batch: Batch): void | Promise<void> {
    if (!this.primaryUp && this.now() >= this.retryAt) return this.retryPrimary(batch);
    if (!this.primaryUp) return this.toBackup(batch);
    let r: void | Promise<void>;
    try {
      r = this.primary.append(batch);
    } catch (e) {
      return this.failOver(e, batch);
    }
    if (r) return r.catch((e: unknown) => this.failOver(e, batch));
  }

  private async retryPrimary(batch: Batch): Promise<void> {
    try {
      await this.primary.close().catch(() => {});
      await this.primary.open();
      this.primaryUp = true;
      await this.primary.append(batch);
      this.backoff.reset();
      this.outage?.recovered();
    } catch (e) {
      await this.failOver(e, batch);
    }
  }

  private async failOver(e: unknown, batch: Batch): Promise<void> {
    this.primaryFailed(e);
    await this.toBackup(batch);
  }

  private async toBackup(batch: Batch): Promise<void> {
    if (!this.backupOpen) await this.openBackup();
    await this.backup.append(batch);
  }

  private async openBackup(): Promise<void> {
    await this.backup.open();
    this.backupOpen = true;
  }

  private primaryFailed(e: unknown): void {
    this.primaryUp = false;
    this.retryAt = this.now() + this.backoff.fail();
    this.outage?.failed(e);
  }

  async flush(): Promise<void> {
    if (this.primaryUp && this.primary.flush) await this.primary.flush();
    if (this.backupOpen && this.backup.flush) await this.backup.flush();
  }

  async close(): Promise<void> {
    const closes: Promise<void>[] = [this.primary.close()];
    if (this.backupOpen) closes.push(this.backup.close());
    this.backupOpen = false;
    this.primaryUp = false;
    const results = await Promise.allSettled(closes);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }
}
