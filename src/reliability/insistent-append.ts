import type { DecoratorDef } from '../catalog/types.js';
import { type RetryArgs, readRetryArgs, retryParams } from '../components/options/retry.js';
import { Backoff, WakeableDelay } from '../core/backoff.js';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';

/** `cumulativeMax` bounds the waits for one batch. */
export type InsistentAppendOptions = RetryArgs;

/**
 * Flume OG's insistentAppend: a failed append is retried with exponential backoff until it succeeds,
 * the waits for that batch add up to cumulativeMax (the last error is passed on), or the sink closes.
 * The append call waits meanwhile, so backpressure holds the source instead of a buffer growing.
 */
export class InsistentAppendSink extends DecoratorSink {
  private closing = false;
  private readonly delay = new WakeableDelay();
  /** Failed attempts, for reports and tests. */
  failures = 0;

  constructor(
    child: EventSink,
    private readonly opts: InsistentAppendOptions,
    private readonly logger?: Logger,
  ) {
    super(child);
  }

  override open(): Promise<void> {
    this.closing = false;
    return super.open();
  }

  append(batch: Batch): void | Promise<void> {
    let r: void | Promise<void>;
    try {
      r = this.child.append(batch);
    } catch (e) {
      return this.insist(batch, e);
    }
    return r ? r.catch((e: unknown) => this.insist(batch, e)) : undefined;
  }

  private async insist(batch: Batch, first: unknown): Promise<void> {
    const backoff = new Backoff({ initialMs: this.opts.init, maxMs: this.opts.max });
    let last = first;
    let waited = 0;
    for (;;) {
      this.failures++;
      const err = asSluiceError(last, 'SLUICE_IO');
      const left = this.opts.cumulativeMax - waited;
      if (this.closing || left <= 0) {
        throw new SluiceError(
          err.code,
          `insistentAppend: gave up after ${backoff.failures + 1} attempts over ${waited} ms: ${err.message}`,
          { cause: err, retriable: true, place: { component: 'insistentAppend' } },
        );
      }
      const ms = Math.min(backoff.fail(), left);
      if (backoff.failures === 1) this.logger?.warn(`append failed: ${err.message}; retrying with backoff`);
      await this.delay.wait(ms);
      waited += ms;
      if (this.closing) continue;
      try {
        const r = this.child.append(batch);
        if (r) await r;
        return;
      } catch (e) {
        last = e;
      }
    }
  }

  override close(): Promise<void> {
    this.closing = true;
    this.delay.wake();
    return super.close();
  }
}

export const insistentAppendDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'insistentAppend',
  docs:
    'Retries a failed append with exponential backoff until it succeeds; the append waits meanwhile ' +
    '(backpressure). The error is passed on once the waits for one batch add up to cumulativeMax ms, or ' +
    'when the sink closes.',
  params: retryParams('for one batch'),
  build: (args, ctx, child) => new InsistentAppendSink(child, readRetryArgs(args), ctx.logger),
};
