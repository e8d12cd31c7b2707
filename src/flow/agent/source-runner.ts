import type { Interceptor } from '../../catalog/ng.js';
import type { Channel } from '../../channels/types.js';
import { asSluiceError } from '../../core/errors.js';
import type { Batch } from '../../core/event.js';
import type { Logger } from '../../core/logger.js';
import type { EventSource } from '../../core/pipeline.js';

/** Which channels a batch goes to (Flume's channel selectors). */
export type ChannelSelector = (batch: Batch) => Map<Channel, Batch>;

/** replicating: every channel gets every event. */
export function replicatingSelector(channels: Channel[]): ChannelSelector {
  return (batch) => {
    const m = new Map<Channel, Batch>();
    for (let i = 0; i < channels.length; i++)
      m.set(channels[i]!, i === channels.length - 1 ? batch : batch.map((e) => e.copy()));
    return m;
  };
}

/** multiplexing: the value of `header` picks the channels (`mapping.<value>`), else `default`. */
export function multiplexingSelector(
  header: string,
  mapping: Map<string, Channel[]>,
  fallback: Channel[],
): ChannelSelector {
  return (batch) => {
    const m = new Map<Channel, Batch>();
    for (const e of batch) {
      const targets = mapping.get(e.getAttrString(header) ?? '') ?? fallback;
      for (const c of targets) {
        let b = m.get(c);
        if (!b) m.set(c, (b = []));
        b.push(targets.length > 1 ? e.copy() : e);
      }
    }
    return m;
  };
}

/**
 * Pulls a source, runs its interceptors and puts each batch into its channels, one put transaction per
 * channel. A channel with no room makes the runner wait and retry the same batch: the source is not
 * pulled meanwhile, which is the backpressure (nothing is dropped). Channels that already committed a
 * batch are not given it again.
 */
export class SourceRunner {
  private loop: Promise<void> | undefined;
  private stopping = false;
  accepted = 0;
  state: 'ACTIVE' | 'IDLE' | 'ERROR' = 'ACTIVE';
  error: string | undefined;

  constructor(
    readonly name: string,
    private readonly source: EventSource,
    private readonly interceptors: Interceptor[],
    private readonly select: ChannelSelector,
    private readonly logger: Logger,
    private readonly retryMs = 200,
  ) {}

  async start(): Promise<void> {
    await this.source.open();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        let batch = this.source.next();
        if (batch instanceof Promise) batch = await batch;
        if (batch === null) break;
        for (const f of this.interceptors) batch = f(batch);
        if (batch.length === 0) continue;
        await this.put(batch);
        this.accepted += batch.length;
      }
      this.state = 'IDLE';
    } catch (e) {
      this.state = 'ERROR';
      this.error = asSluiceError(e).oneLine();
      this.logger.error(`source ${this.name}: ${this.error}`);
    }
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
    await this.source
      .close()
      .catch((e: unknown) => this.logger.warn(`close source ${this.name}: ${asSluiceError(e).oneLine()}`));
    await this.loop;
  }
}
