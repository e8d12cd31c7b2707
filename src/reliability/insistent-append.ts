import type { DecoratorDef } from '../catalog/types.js';
import { Backoff, WakeableDelay } from '../core/backoff.js';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';

/** Java's Integer.MAX_VALUE, Flume's "no limit"; also the longest delay setTimeout accepts. */
const NO_LIMIT = 2147483647;

export interface InsistentAppendOptions {
  /** Longest single wait, ms. */
  max: number;
  /** First wait, ms; doubled after every failure up to `max`. */
  init: number;
  /** Total waiting allowed for one batch before its error is passed on, ms. */
  cumulativeMax: number;
}

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
  params: [
    { name: 'max', type: 'int', optional: true, default: NO_LIMIT, docs: 'Longest single backoff in ms.' },
    {
      name: 'init',
      type: 'int',
      optional: true,
      default: 1000,
      docs: 'Backoff after the first failure, in ms.',
    },
    {
      name: 'cumulativeMax',
      type: 'int',
      optional: true,
      default: NO_LIMIT,
      docs: 'Total backoff allowed for one batch before the error is passed on, in ms.',
    },
  ],
  build: (args, ctx, child) => {
    const ms = (field: string, dflt: number) => {
      const v = args.optInt(field) ?? dflt;
      if (v < 0)
        throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${field} must be at least 0, got ${v}`, {
          place: { component: args.component, field },
        });
      return Math.min(v, NO_LIMIT);
    };
    const init = ms('init', 1000);
    const max = ms('max', NO_LIMIT);
    const cumulativeMax = ms('cumulativeMax', NO_LIMIT);
    return new InsistentAppendSink(child, { max, init, cumulativeMax }, ctx.logger);
  },
};
