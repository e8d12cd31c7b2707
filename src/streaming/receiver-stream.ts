import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BlockBudget } from './budget.js';
import type { StreamingClock } from './clock.js';
import type { StreamOperator } from './dstream.js';
import type { ReceivedBlock, Receiver, ReceiverSink } from './receiver.js';
import type { ReceiverLog } from './receiver-log.js';

/** What a receiver input stream shares with its context. */
export interface ReceiverHost {
  readonly clock: StreamingClock;
  readonly budget: BlockBudget;
  readonly logger: Logger;
  /** A receiver's fault it cannot recover from: the context reports it. */
  receiverFailed(name: string, error: Error): void;
}

export interface ReceiverReport {
  name: string;
  /** Records and bytes stored (taken by the engine). */
  records: number;
  bytes: number;
  blocks: number;
  /** Blocks refused (context stopped, write-ahead log failed). */
  refused: number;
  /** Records stored and not processed by a batch yet. */
  pendingRecords: number;
  /** Times `store` made the receiver wait (the bound on unprocessed bytes or maxRate). */
  throttled: number;
  lastError?: string;
}

interface Held<T> {
  readonly block: ReceivedBlock<T>;
  /** The context's clock when the block was logged (for the log's truncation). */
  readonly at: number;
}

/**
 * The engine side of one Receiver, after Spark's ReceiverSupervisor and ReceivedBlockTracker: it is the
 * ReceiverSink the receiver stores into, it acks each block once stored (after the write-ahead log
 * synced it, when the context has one), it hands the blocks received until a batch time to that batch,
 * and it releases their bytes when the batch completed.
 */
export class ReceiverInput<T> implements ReceiverSink<T> {
  readonly receiver: Receiver<T>;
  private readonly host: ReceiverHost;
  private readonly maxRate: number | undefined;
  private log: ReceiverLog | undefined;
  private held: Held<T>[] = [];
  private readonly allocated = new Map<number, Held<T>[]>();
  private readonly appending = new Set<number>();
  private stopped = false;
  private nextFreeMs = 0;
  private stats: ReceiverReport;

  constructor(receiver: Receiver<T>, host: ReceiverHost, maxRate: number | undefined) {
    this.receiver = receiver;
    this.host = host;
    this.maxRate = maxRate;
    this.stats = {
      name: receiver.name,
      records: 0,
      bytes: 0,
      blocks: 0,
      refused: 0,
      pendingRecords: 0,
      throttled: 0,
    };
  }

  /** Replays what the log holds (into the first batch), then starts the receiver. */
  async start(log: ReceiverLog | undefined): Promise<void> {
    this.log = log;
    if (log !== undefined) {
      for await (const block of log.replay()) {
        // Replayed blocks are already durable: held again without logging or acking.
        this.keep({ block: block as ReceivedBlock<T>, at: this.host.clock.now() });
      }
    }
    await this.receiver.start(this);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.receiver.stop();
    } catch (e) {
      this.host.logger.warn(`receiver ${this.receiver.name}: stop failed: ${asSluiceError(e).message}`);
    }
  }

  async closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    await log?.close();
  }

  // ---- ReceiverSink -----------------------------------------------------------------------------

  store(block: ReceivedBlock<T>): void | Promise<void> {
    if (this.stopped) {
      this.stats.refused++;
      block.ack?.fail(
        new SluiceError('SLUICE_CLOSED', `receiver ${this.receiver.name}: the streaming context is stopped`, {
          retriable: true,
        }),
      );
      return;
    }
    if (this.log !== undefined) return this.storeLogged(block, this.log);
    this.keep({ block, at: this.host.clock.now() });
    block.ack?.ok();
    return this.pace(block.records.length);
  }

  reportError(error: Error): void {
    this.stats.lastError = error.message;
    this.host.receiverFailed(this.receiver.name, error);
  }

  // ---- batches ----------------------------------------------------------------------------------

  /** Hands every block stored so far to the batch of `time`. */
  allocate(time: number): void {
    if (this.held.length === 0) return;
    this.allocated.set(time, this.held);
    this.held = [];
  }

  /** The batch of `time`: the records of its blocks, in the order they were stored. */
  readonly operator = (batchIntervalMs: number): StreamOperator<T> => ({
    kind: 'receiverStream',
    slideMs: batchIntervalMs,
    everyBatch: true,
    compute: (time) => {
      const blocks = this.allocated.get(time);
      if (blocks === undefined) return [];
      if (blocks.length === 1) return blocks[0]!.block.records;
      const out: T[] = [];
      for (const h of blocks) {
        const r = h.block.records;
        for (let i = 0; i < r.length; i++) out.push(r[i]!);
      }
      return out;
    },
  });

  /** The batch of `time` is processed: its memory goes back to the budget. */
  release(time: number): void {
    const blocks = this.allocated.get(time);
    if (blocks === undefined) return;
    this.allocated.delete(time);
    let bytes = 0;
    for (const h of blocks) {
      bytes += h.block.bytes;
      this.stats.pendingRecords -= h.block.records.length;
    }
    this.host.budget.release(bytes);
  }

  /** Blocks stored and not processed yet (held, or in a batch not completed). */
  get hasPending(): boolean {
    return this.held.length > 0 || this.allocated.size > 0;
  }

  /**
   * The time the log may be truncated before once the batches up to `time` are checkpointed: the
   * oldest append of a block not in those batches (held, in a later batch, or still being logged).
   */
  truncatableBefore(time: number, now: number): number {
    let min = now;
    for (const h of this.held) if (h.at < min) min = h.at;
    for (const [t, blocks] of this.allocated)
      if (t > time) for (const h of blocks) if (h.at < min) min = h.at;
    for (const at of this.appending) if (at < min) min = at;
    return min;
  }

  async truncateLog(time: number): Promise<void> {
    if (this.log === undefined) return;
    await this.log.truncate(this.truncatableBefore(time, this.host.clock.now()));
  }

  report(): ReceiverReport {
    return { ...this.stats };
  }

  private keep(h: Held<T>): void {
    this.held.push(h);
    this.host.budget.add(h.block.bytes);
    this.stats.records += h.block.records.length;
    this.stats.pendingRecords += h.block.records.length;
    this.stats.bytes += h.block.bytes;
    this.stats.blocks++;
  }

  private async storeLogged(block: ReceivedBlock<T>, log: ReceiverLog): Promise<void> {
    const at = this.host.clock.now();
    this.appending.add(at);
    try {
      await log.append([block as ReceivedBlock<unknown>], at);
    } catch (e) {
      this.stats.refused++;
      const err = asSluiceError(e, 'SLUICE_STORAGE', { component: `receiver ${this.receiver.name}` });
      this.stats.lastError = err.message;
      block.ack?.fail(err);
      return;
    } finally {
      this.appending.delete(at);
    }
    this.keep({ block, at });
    block.ack?.ok();
    await this.pace(block.records.length);
  }

  /** The wait before the receiver may store again: the rate cap, then the bound on unprocessed bytes. */
  private pace(records: number): Promise<void> | undefined {
    let delay = 0;
    if (this.maxRate !== undefined) {
      const now = Date.now();
      this.nextFreeMs = Math.max(this.nextFreeMs, now) + (records * 1000) / this.maxRate;
      delay = this.nextFreeMs - now;
    }
    const room = this.host.budget.room();
    if (delay < 1 && room === undefined) return undefined;
    this.stats.throttled++;
    const rate = delay >= 1 ? new Promise<void>((r) => setTimeout(r, delay)) : undefined;
    if (rate === undefined) return room;
    if (room === undefined) return rate;
    return Promise.all([rate, room]).then(() => this.host.budget.room());
  }
}
