import type { DecoratorDef } from '../catalog/types.js';
import { Backoff, WakeableDelay } from '../core/backoff.js';
import { asSluiceError, errnoOf, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { OutageLog } from '../core/outage.js';
import type { EventSink, SinkCounts } from '../core/pipeline.js';
import { agentLogDir } from './logdir.js';
import { SpillLog, type SpillStats } from './spill.js';

/** The first retry of a failing downstream waits this long (or maxMillis when smaller). */
const FIRST_RETRY_MS = 250;

/** An idle drainer wakes on a spill; this bound only keeps the wait finite. */
const IDLE_WAIT_MS = 60_000;

/** System errors that say the log directory cannot take the spill as configured or as it stands. */
const DISK_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO']);

export interface DiskFailoverOptions {
  /** The longest wait between two retries of the downstream, ms. */
  maxMillis: number;
  /** Where the spill lives; called at open, so building a node (validate) touches no disk. */
  dir: () => string;
  logger: Logger;
}

/**
 * Flume OG's diskFailover: batches go straight to the sub sink while it takes them; a batch it fails
 * is written to a local log (SpillLog) and the append succeeds once the batch is on disk. From then
 * on new batches are spilled too, and a drainer sends the log to the sub sink oldest first, retrying
 * with exponential backoff up to maxMillis. The first batch the sub sink takes again makes it healthy:
 * new batches go straight to it again while the drainer empties the backlog beside them, so during a
 * drain live and spilled batches interleave (each stream in its own order). The sub sink is opened by
 * the drainer, never by open(), so a collector that is down does not hold up the node's start
 * (the seed puts `insistentOpen` under this decorator).
 *
 * What was spilled survives a killed process and is sent after the next start. A spill that cannot be
 * written (a full or read-only disk) fails the node: the batch is refused (its source keeps it) and
 * what is already on disk stays there for the next start.
 */
export class DiskFailoverSink implements EventSink {
  private log: SpillLog | undefined;
  private childOpen = false;
  private childOpening = false;
  /** The sub sink took the last batch given to it. */
  private healthy = false;
  private closing = false;
  private draining: Promise<void> | undefined;
  /** A spill landed after the drainer last looked at the log (a wake-up it may have missed). */
  private spilledSinceLook = false;
  /** Woken by a spill (the drainer waits for work) and by close. */
  private readonly wakeup = new WakeableDelay();
  /** Woken by close only: spills must not cut a retry backoff short. */
  private readonly backoffDelay = new WakeableDelay();
  private readonly retry: Backoff;
  private readonly outage: OutageLog;
  private delivered = 0;
  private retried = 0;
  /** Failed attempts to reach the sub sink, over the life of this sink. */
  failures = 0;

  constructor(
    private readonly child: EventSink,
    private readonly opts: DiskFailoverOptions,
  ) {
    this.retry = new Backoff({
      initialMs: Math.min(FIRST_RETRY_MS, opts.maxMillis),
      maxMs: opts.maxMillis,
      jitter: 0.2,
    });
    this.outage = new OutageLog(opts.logger, 'diskFailover: downstream', {
      down: 'failing',
      meanwhile: 'spilling to disk and retrying with backoff',
      up: 'delivering again',
    });
  }

  async open(): Promise<void> {
    this.closing = false;
    const dir = this.opts.dir();
    this.log = await SpillLog.open(dir, { logger: this.opts.logger });
    const { recovered } = this.log.stats;
    if (recovered > 0)
      this.opts.logger.info(`${recovered} events left in ${dir} by an earlier run: sending them first`);
    this.draining = this.drain();
  }

  append(batch: Batch): void | Promise<void> {
    if (batch.length === 0) return;
    if (!this.log || this.closing) {
      return Promise.reject(new SluiceError('SLUICE_CLOSED', 'diskFailover is not open'));
    }
    if (!this.healthy) return this.spill(batch);
    let r: void | Promise<void>;
    try {
      r = this.child.append(batch);
    } catch (e) {
      return this.failedLive(batch, e);
    }
    if (!r) {
      this.delivered += batch.length;
      return;
    }
    return r.then(
      () => {
        this.delivered += batch.length;
      },
      (e: unknown) => this.failedLive(batch, e),
    );
  }

  private failedLive(batch: Batch, e: unknown): Promise<void> {
    this.downstreamFailed(e);
    this.retried += batch.length;
    return this.spill(batch);
  }

  private async spill(batch: Batch): Promise<void> {
    const log = this.log!;
    try {
      await log.spill(batch);
    } catch (e) {
      throw this.spillFailed(log.dir, e);
    }
    this.spilledSinceLook = true;
    this.wakeup.wake();
  }

  /**
   * A full or unwritable log directory is a configuration that cannot work until someone acts: the
   * error is fatal to the node (ERROR), the batch in hand is refused, the spill already on disk stays.
   */
  private spillFailed(dir: string, e: unknown): SluiceError {
    const errno = errnoOf(e);
    const reason = errno ?? asSluiceError(e).message;
    const disk = errno !== undefined && DISK_ERRNOS.has(errno);
    return new SluiceError(
      disk ? 'SLUICE_CONFIG' : 'SLUICE_STORAGE',
      `cannot spill to the disk-failover log ${dir} (${reason})${
        disk ? ': free space or point flume.agent.logdir at a writable disk' : ''
      }`,
      { place: { component: 'diskFailover', field: 'flume.agent.logdir' }, cause: e },
    );
  }

  private downstreamFailed(e: unknown): void {
    this.healthy = false;
    this.failures++;
    this.outage.failed(e);
  }

  /** Opens the sub sink, then sends the spill oldest first until closed. */
  private async drain(): Promise<void> {
    const log = this.log!;
    while (!this.closing) {
      if (!this.childOpen) {
        try {
          this.childOpening = true;
          await this.child.open();
          this.childOpen = true;
          this.healthy = true;
        } catch (e) {
          if (this.closing) return;
          this.downstreamFailed(e);
          await this.backoffDelay.wait(this.retry.fail());
          continue;
        } finally {
          this.childOpening = false;
        }
      }
      if (!(await this.drainOnce(log))) {
        if (this.closing) return;
        if (this.healthy) {
          if (!this.spilledSinceLook) await this.wakeup.wait(IDLE_WAIT_MS);
        } else await this.backoffDelay.wait(this.retry.fail());
      }
    }
  }

  /** Sends the oldest spilled batch; false when there was none or the sub sink failed it. */
  private async drainOnce(log: SpillLog): Promise<boolean> {
    let spilled: Awaited<ReturnType<SpillLog['oldest']>>;
    this.spilledSinceLook = false;
    try {
      spilled = await log.oldest();
    } catch (e) {
      this.opts.logger.error(`cannot read the disk-failover log ${log.dir}: ${asSluiceError(e).oneLine()}`);
      return false;
    }
    if (!spilled) return false;
    try {
      const r = this.child.append(spilled.batch);
      if (r) await r;
    } catch (e) {
      this.downstreamFailed(e);
      return false;
    }
    log.drained(spilled);
    this.delivered += spilled.batch.length;
    this.healthy = true;
    this.retry.reset();
    this.outage.recovered();
    return true;
  }

  flush(): Promise<void> {
    return this.healthy && this.child.flush ? this.child.flush() : Promise.resolve();
  }

  /** The spill's figures (events spilled, drained, waiting), for reports and tests. */
  get spillStats(): SpillStats | undefined {
    return this.log?.stats;
  }

  counts(): SinkCounts {
    return { delivered: this.delivered, dropped: 0, retried: this.retried };
  }

  /**
   * Sends what is left while the sub sink keeps taking it (a stop does not wait on a dead collector),
   * then closes; whatever is still spilled stays on disk for the next start.
   */
  async close(): Promise<void> {
    const log = this.log;
    if (!log) return;
    this.closing = true;
    this.wakeup.wake();
    this.backoffDelay.wake();
    // An open still retrying (insistentOpen under a dead collector) ends only when its sink closes.
    const cancelled = this.childOpening;
    if (cancelled) await this.child.close().catch(() => {});
    await this.draining;
    if (cancelled) this.childOpen = false;
    while (this.healthy && this.childOpen && (await this.drainOnce(log))) {}
    this.log = undefined;
    const left = log.stats.backlog;
    if (left > 0)
      this.opts.logger.warn(
        `closing with ${left} events (${log.backlogBytes} bytes) in ${log.dir}: they are sent after the next start`,
      );
    try {
      if (this.childOpen) await this.child.close();
    } finally {
      this.childOpen = false;
      this.healthy = false;
      await log.close();
    }
  }
}

export const diskFailoverDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'diskFailover',
  docs:
    'Disk failover: batches go to the sub sink; when it fails, they are written to a local log under ' +
    'flume.agent.logdir/<node>/dfo and sent again, oldest first, with exponential backoff up to maxmillis, ' +
    'while new batches flow straight through again once the sub sink takes them. The log survives a killed ' +
    'process; a full or unwritable log directory puts the node in ERROR. See docs/reliability.md.',
  params: [
    {
      name: 'maxmillis',
      type: 'int',
      optional: true,
      configDefault: 'flume.agent.logdir.maxage',
      docs: 'Longest wait between retries, ms; default flume.agent.logdir.maxage.',
    },
  ],
  build: (args, ctx, child) => {
    const maxMillis = args.optInt('maxmillis') ?? ctx.config.getInt('flume.agent.logdir.maxage');
    if (maxMillis < 1) {
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `maxmillis must be at least 1, got ${maxMillis}`, {
        place: { component: args.component, field: 'maxmillis' },
      });
    }
    const logger = ctx.logger.child('diskFailover');
    return new DiskFailoverSink(child, {
      maxMillis,
      dir: () => agentLogDir(ctx.config, ctx.nodeName, 'dfo', logger),
      logger,
    });
  },
};
