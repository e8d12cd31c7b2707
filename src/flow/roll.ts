import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { OutageLog } from '../core/outage.js';
import type { EventSink } from '../core/pipeline.js';

/** The attribute a roll stamps on every event so its child can name files with `%{rolltag}`. */
export const ROLLTAG_ATTR = 'rolltag';

let rollSequence = 0;

/**
 * A tag unique to one roll period: UTC time of the roll to the millisecond plus a process-wide
 * sequence number, so two rolls in the same millisecond still differ (e.g. 20261126-104100123.7).
 */
export function makeRollTag(now: number): string {
  const d = new Date(now);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}.${++rollSequence}`
  );
}

/**
 * Roll `roll(ms) { sink }`: a fresh instance of the child every `ms` milliseconds. A roll is atomic
 * for appends: the old instance is closed (its file complete) before the new one opens, and appends
 * arriving meanwhile wait. Every event gets the period's `rolltag` attribute.
 */
export class RollSink implements EventSink {
  private current: EventSink | undefined;
  private tag = '';
  private timer: NodeJS.Timeout | undefined;
  private rolling: Promise<void> | undefined;
  private closed = true;
  private readonly outage: OutageLog | undefined;

  constructor(
    private readonly factory: () => EventSink,
    private readonly periodMs: number,
    logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.outage = logger
      ? new OutageLog(logger, 'roll', {
          down: 'failing',
          meanwhile: 'trying again next period',
          up: 'rolling again',
        })
      : undefined;
  }

  async open(): Promise<void> {
    this.closed = false;
    await this.openNew();
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.rolling = this.roll()
        .then(
          () => this.outage?.recovered(),
          (e: unknown) => this.outage?.failed(e),
        )
        .finally(() => {
          this.rolling = undefined;
          if (!this.closed) this.schedule();
        });
    }, this.periodMs);
    this.timer.unref?.();
  }

  private async openNew(): Promise<void> {
    this.tag = makeRollTag(this.now());
    const sink = this.factory();
    await sink.open();
    this.current = sink;
  }

  /** Closes the current instance and opens the next; exposed for tests and for `flush`-style rolls. */
  async roll(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    if (old) await old.close();
    if (!this.closed) await this.openNew();
  }

  append(batch: Batch): void | Promise<void> {
    if (this.rolling || !this.current) return this.appendAfterRoll(batch);
    const tag = this.tag;
    for (let i = 0; i < batch.length; i++) batch[i]!.setAttr(ROLLTAG_ATTR, tag);
    return this.current.append(batch);
  }

  private async appendAfterRoll(batch: Batch): Promise<void> {
    while (this.rolling) await this.rolling;
    if (!this.current) throw new Error('roll: append on a closed roll sink');
    await this.append(batch);
  }

  async flush(): Promise<void> {
    if (this.rolling) await this.rolling;
    if (this.current?.flush) await this.current.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.rolling) await this.rolling;
    const old = this.current;
    this.current = undefined;
    if (old) await old.close();
  }
}
