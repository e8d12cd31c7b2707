import type { DecoratorDef } from '../catalog/types.js';
import { Backoff } from '../core/backoff.js';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { atLeast } from './args.js';

/** Java's Integer.MAX_VALUE, Flume's "no limit"; also the longest delay setTimeout accepts. */
const NO_LIMIT = 2147483647;

export interface InsistentOpenOptions {
  /** Longest single wait, ms. */
  max: number;
  /** First wait, ms; doubled after every failure up to `max`. */
  init: number;
  /** Total waiting allowed before the open fails, ms. */
  cumulativeMax: number;
}

/**
 * Retries a failing child open with exponential backoff until it succeeds or the waits add up to
 * cumulativeMax (then the last error is thrown). Close during the wait cancels it at once.
 */
export class InsistentOpenSink extends DecoratorSink {
  private childOpen = false;
  private closing = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Failed open attempts since construction, for reports and tests. */
  failures = 0;

  constructor(
    child: EventSink,
    private readonly backoff: InsistentOpenOptions,
    private readonly logger?: Logger,
  ) {
    super(child);
  }

  override async open(): Promise<void> {
    this.closing = false;
    const { cumulativeMax } = this.backoff;
    const delay = new Backoff({ initialMs: this.backoff.init, maxMs: this.backoff.max });
    let waited = 0;
    let attempts = 0;
    for (;;) {
      try {
        attempts++;
        await this.child.open();
        this.childOpen = true;
        return;
      } catch (e) {
        this.failures++;
        const err = asSluiceError(e, 'SLUICE_IO');
        if (this.closing) throw closedDuringOpen(err);
        const left = cumulativeMax - waited;
        if (left <= 0) {
          throw new SluiceError(
            err.code,
            `insistentOpen: gave up after ${attempts} attempts over ${waited} ms: ${err.message}`,
            {
              cause: err,
              retriable: true,
              place: { component: 'insistentOpen' },
            },
          );
        }
        const ms = Math.min(delay.fail(), left);
        this.logger?.warn(`open failed (attempt ${attempts}): ${err.message}; retrying in ${ms} ms`);
        await this.sleep(ms);
        if (this.closing) throw closedDuringOpen(err);
        waited += ms;
      }
    }
  }

  append(batch: Batch): void | Promise<void> {
    return this.child.append(batch);
  }

  override close(): Promise<void> {
    this.closing = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.wake?.();
    }
    if (!this.childOpen) return Promise.resolve();
    this.childOpen = false;
    return super.close();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        resolve();
      }, ms);
    });
  }
}

function closedDuringOpen(last: SluiceError): SluiceError {
  return new SluiceError(
    'SLUICE_CLOSED',
    `insistentOpen: closed while retrying open (last error: ${last.message})`,
    {
      cause: last,
      place: { component: 'insistentOpen' },
    },
  );
}

export const insistentOpenDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'insistentOpen',
  docs:
    'Opens its sub sink, retrying failed opens with exponential backoff: useful when a network server may ' +
    'not be up yet. The open call waits until an attempt succeeds, or fails once the waits add up to ' +
    'cumulativeMax milliseconds.',
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
      docs: 'Total backoff allowed before the error is passed on, in ms.',
    },
  ],
  build: (args, ctx, child) => {
    const c = args.component;
    const init = atLeast(c, 'init', args.optInt('init') ?? 1000, 0);
    const max = Math.min(atLeast(c, 'max', args.optInt('max') ?? NO_LIMIT, 0), NO_LIMIT);
    const cumulativeMax = atLeast(c, 'cumulativeMax', args.optInt('cumulativeMax') ?? NO_LIMIT, 0);
    return new InsistentOpenSink(child, { max, init, cumulativeMax }, ctx.logger);
  },
};
