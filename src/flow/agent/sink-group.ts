import type { SinkSelector } from '../../catalog/ng.js';
import type { Channel } from '../../channels/types.js';
import { bodyBytes } from '../../core/batch-bytes.js';
import { asSluiceError, isFatal, SluiceError } from '../../core/errors.js';
import type { Batch } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import { OutageLog } from '../../core/outage.js';
import type { EventSink } from '../../core/pipeline.js';
import { componentError, componentLabel } from './component-error.js';

export interface GroupedSink {
  name: string;
  sink: EventSink;
  /** The type written in the agent file, for start-up errors (`sink k1 (file_roll): ...`). */
  type?: string;
}

/**
 * Drives one channel into a sink group: take a batch in a transaction, hand it to the first sink the
 * selector offers, then to the next on failure; commit once one sink accepted it, roll back (the events
 * stay in the channel, in order) when all failed. A group of one sink is Flume's default processor.
 *
 * A failing sink is retried after a pause for as long as the agent runs (Flume's backoff); its outage
 * is logged once when it starts and once when it ends, with the number of failed attempts.
 */
export class SinkGroupRunner {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly open = new Set<number>();
  private wake: (() => void) | undefined;
  private readonly outages: OutageLog[];
  private readonly allDown: OutageLog;
  delivered = 0;
  /** Body bytes of the delivered events. */
  deliveredBytes = 0;
  failures = 0;

  constructor(
    readonly name: string,
    private readonly channel: Channel,
    private readonly sinks: GroupedSink[],
    private readonly selector: SinkSelector,
    private readonly batchSize: number,
    private readonly logger: Logger,
    /** Pause after a batch that no sink took, and when the channel is empty. */
    private readonly backoffMs = 1000,
  ) {
    this.outages = sinks.map((k) => new OutageLog(logger, `sink ${k.name}`));
    this.allDown = new OutageLog(logger, `sink group ${name}`, {
      down: 'cannot deliver',
      up: 'delivering again',
    });
  }

  /**
   * Opens every sink, then starts taking from the channel. A sink that cannot open for a fatal reason
   * (a directory that does not exist, a port in use) fails the start; a transient one is opened again
   * with the next batch.
   */
  async start(): Promise<void> {
    for (let i = 0; i < this.sinks.length; i++) {
      const k = this.sinks[i]!;
      try {
        await k.sink.open();
        this.open.add(i);
      } catch (e) {
        if (isFatal(e, 'start')) throw componentError(componentLabel('sink', k.name, k.type), e);
        this.outages[i]!.failed(e);
      }
    }
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let moved = 0;
      try {
        moved = await this.processOnce();
      } catch (e) {
        if (!this.running) break;
        this.failures++;
        // Each sink's own outage is logged by deliver(); a group of several also says it has none left.
        if (this.sinks.length > 1 || !(e instanceof SinkAttemptsFailed)) this.allDown.failed(e);
        await this.sleep(this.backoffMs);
        continue;
      }
      if (moved > 0 && this.allDown.down) this.allDown.recovered();
      // take() already waited keep-alive for events; a short nap keeps an idle agent idle.
      if (moved === 0) await this.sleep(Math.min(this.backoffMs, 100));
    }
  }

  /** One transaction; returns how many events were delivered (0: channel empty). */
  async processOnce(): Promise<number> {
    const tx = this.channel.transaction();
    tx.begin();
    let done = false;
    try {
      let batch = tx.take(this.batchSize);
      if (batch instanceof Promise) batch = await batch;
      if (batch.length === 0) {
        await tx.commit();
        done = true;
        return 0;
      }
      // The channel summed the batch as it gave it: bodyBytes finds the sum again.
      const bytes = bodyBytes(batch);
      await this.deliver(batch);
      await tx.commit();
      done = true;
      this.delivered += batch.length;
      this.deliveredBytes += bytes;
      return batch.length;
    } finally {
      if (!done) await Promise.resolve(tx.rollback()).catch(() => {});
      tx.close();
    }
  }

  private async deliver(batch: Batch): Promise<void> {
    const now = Date.now();
    const order = this.selector.order(now);
    if (order.length === 0)
      throw new SluiceError('SLUICE_IO', 'every sink of the group is backing off after failures', {
        retriable: true,
      });
    let last: unknown;
    for (const i of order) {
      const { name, sink } = this.sinks[i]!;
      try {
        if (!this.open.has(i)) {
          await sink.open();
          this.open.add(i);
        }
        const r = sink.append(batch);
        if (r) await r;
        this.selector.succeeded(i);
        this.outages[i]!.recovered();
        return;
      } catch (e) {
        last = e;
        this.selector.failed(i, now);
        this.outages[i]!.failed(e);
        // A broken connection is re-established by reopening next time.
        this.open.delete(i);
        await sink
          .close()
          .catch((ce: unknown) =>
            this.logger.debug(`sink ${name}: close after failure: ${asSluiceError(ce).oneLine()}`),
          );
      }
    }
    throw new SinkAttemptsFailed(last);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    this.channel.interruptTakes?.();
    await this.loop;
    await Promise.allSettled([...this.open].map((i) => this.sinks[i]!.sink.close()));
    this.open.clear();
  }
}

/** Every sink offered a batch failed; each failure was logged by its sink's outage log. */
class SinkAttemptsFailed extends Error {
  constructor(readonly last: unknown) {
    super(asSluiceError(last).oneLine(), { cause: last });
  }
}
