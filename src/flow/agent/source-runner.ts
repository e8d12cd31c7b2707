import type { ChannelSelector as CatalogSelector, Interceptor } from '../../catalog/ng.js';
import type { Channel } from '../../channels/types.js';
import { takeAck } from '../../core/ack.js';
import { Backoff, WakeableDelay } from '../../core/backoff.js';
import { bodyBytes } from '../../core/batch-bytes.js';
import { asSluiceError, isFatal } from '../../core/errors.js';
import type { Batch } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import { OutageLog } from '../../core/outage.js';
import type { EventSource } from '../../core/pipeline.js';
import { EventLoopTurns } from '../../core/turns.js';
import { letGo, settleAck } from '../settle.js';
import { componentError, componentLabel } from './component-error.js';

/** Longest wait between attempts to open a source that failed to open for a transient reason. */
const OPEN_RETRY_MAX_MS = 30_000;

/** Which channels a batch goes to (Flume's channel selectors: selectors.ts). */
export type ChannelSelector = CatalogSelector<Channel>;

/**
 * Pulls a source, runs its interceptors and puts each batch into its channels, one put transaction per
 * channel. A channel with no room makes the runner wait and retry the same batch: the source is not
 * pulled meanwhile, which is the backpressure (nothing is dropped). Channels that already committed a
 * batch are not given it again.
 *
 * A source that cannot open for a fatal reason (core/errors.ts `isFatal`) fails the agent's start; a
 * transient one is opened again with backoff. A batch an interceptor or a channel refuses for a
 * transient reason is counted, its ack fails (a network source answers its sender with an error, a
 * file source reads it again) and the runner goes on with the next batch; a fatal fault stops the
 * source. A batch is acked ok once every channel committed its put (core/ack.ts, docs/acks.md).
 */
export class SourceRunner {
  private loop: Promise<void> | undefined;
  private stopping = false;
  private opened = false;
  private readonly retryDelay = new WakeableDelay();
  /** Opening again after a transient failure. */
  private readonly outage: OutageLog;
  /** Batches refused on their way into the channels. */
  private readonly batchOutage: OutageLog;
  accepted = 0;
  /** Body bytes of the accepted events (after interceptors). */
  acceptedBytes = 0;
  /** Events of batches that failed on their way into the channels. */
  failed = 0;
  state: 'ACTIVE' | 'IDLE' | 'ERROR' = 'ACTIVE';
  error: string | undefined;

  constructor(
    readonly name: string,
    private readonly source: EventSource,
    private readonly interceptors: Interceptor[],
    private readonly select: ChannelSelector,
    /** The agent's logger: lines name the source themselves. */
    private readonly logger: Logger,
    private readonly retryMs = 200,
    /** The type written in the agent file, for start-up errors (`source r1 (spooldir): ...`). */
    private readonly type?: string,
  ) {
    this.outage = new OutageLog(logger, `source ${name}`, { down: 'cannot open', up: 'opened' });
    this.batchOutage = new OutageLog(logger, `source ${name}`, {
      down: 'failing batches',
      meanwhile: 'counting each failed batch and going on',
      up: 'putting batches again',
    });
  }

  async start(): Promise<void> {
    try {
      await this.source.open();
      this.opened = true;
    } catch (e) {
      if (isFatal(e, 'start')) throw componentError(componentLabel('source', this.name, this.type), e);
      this.outage.failed(e);
    }
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    try {
      if (!(await this.openWithBackoff())) {
        this.state = 'IDLE';
        return;
      }
      const turns = new EventLoopTurns();
      for (;;) {
        const turn = turns.tick();
        if (turn !== undefined) await turn;
        let batch = this.source.next();
        if (batch instanceof Promise) batch = await batch;
        if (batch === null) break;
        const ack = takeAck(batch);
        const took = batch;
        const size = batch.length;
        let bytes = 0;
        try {
          for (const f of this.interceptors) batch = f(batch);
          // Summed once here; the channels' puts and meters of this batch find the sum again.
          if (batch.length > 0) bytes = bodyBytes(batch);
          if (batch.length > 0) await this.put(batch);
        } catch (e) {
          letGo(took);
          const err = asSluiceError(e);
          if (ack !== undefined) settleAck(ack, err, this.logger, 'source', this.name);
          if (isFatal(e) || this.stopping) throw e;
          this.failed += size;
          this.batchOutage.failed(e);
          continue;
        }
        letGo(took);
        // Every channel committed its put (or the interceptors left nothing to put): the batch is safe.
        if (ack !== undefined) settleAck(ack, undefined, this.logger, 'source', this.name);
        if (batch.length === 0) continue;
        if (this.batchOutage.down) this.batchOutage.recovered();
        this.accepted += batch.length;
        this.acceptedBytes += bytes;
      }
      this.state = 'IDLE';
    } catch (e) {
      this.state = 'ERROR';
      this.error = componentError(componentLabel('source', this.name, this.type), e).oneLine();
      this.logger.error(`${this.error} (source stopped)`);
    }
  }

  /** Opens a source whose first open failed for a transient reason; false when stopped meanwhile. */
  private async openWithBackoff(): Promise<boolean> {
    const delay = new Backoff({ initialMs: 1000, maxMs: OPEN_RETRY_MAX_MS });
    while (!this.opened) {
      await this.retryDelay.wait(delay.fail());
      if (this.stopping) return false;
      try {
        await this.source.open();
        this.opened = true;
        this.outage.recovered();
      } catch (e) {
        if (isFatal(e, 'start')) throw e;
        this.outage.failed(e);
      }
    }
    return true;
  }

  private async put(batch: Batch): Promise<void> {
    const pending = this.select(batch);
    while (pending.size > 0) {
      for (const [channel, events] of pending) {
        const tx = channel.transaction();
        try {
          tx.begin();
          await tx.put(events);
          await tx.commit();
          pending.delete(channel);
        } catch (e) {
          await Promise.resolve(tx.rollback()).catch(() => {});
          const err = asSluiceError(e);
          if (!err.retriable && err.code !== 'SLUICE_CHANNEL_FULL') throw err;
          if (this.stopping) throw err;
          this.logger.debug(`source ${this.name}: channel ${channel.name} full, retrying`);
          await new Promise((r) => setTimeout(r, this.retryMs));
        } finally {
          tx.close();
        }
      }
    }
  }

  /** Closes the source; the batch in hand is still put (or fails if the channel stays full). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.retryDelay.wake();
    await this.source
      .close()
      .catch((e: unknown) => this.logger.warn(`close source ${this.name}: ${asSluiceError(e).oneLine()}`));
    await this.loop;
  }
}
