import type { DecoratorDef } from '../catalog/types.js';
import { type RetryArgs, readRetryArgs, retryParams } from '../components/options/retry.js';
import { Backoff } from '../core/backoff.js';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';

export type InsistentOpenOptions = RetryArgs;

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
  params: retryParams(''),
  build: (args, ctx, child) => new InsistentOpenSink(child, readRetryArgs(args), ctx.logger),
};
