import type { DecoratorDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';

/**
 * On a failed append, closes and reopens the child and appends the batch once more; a second failure
 * is passed on. A reconnect is often all a broken network sink needs. The batch may arrive twice when
 * the first append failed after delivering part of it (at-least-once).
 */
export class StubbornAppendSink extends DecoratorSink {
  /** Appends that needed the close/reopen/retry, for reports and tests. */
  retries = 0;

  constructor(
    child: EventSink,
    private readonly logger?: Logger,
  ) {
    super(child);
  }

  append(batch: Batch): void | Promise<void> {
    let r: void | Promise<void>;
    try {
      r = this.child.append(batch);
    } catch (e) {
      return this.retry(batch, e);
    }
    return r ? r.catch((e: unknown) => this.retry(batch, e)) : undefined;
  }

  private async retry(batch: Batch, first: unknown): Promise<void> {
    this.retries++;
    this.logger?.warn(
      `append failed (${first instanceof Error ? first.message : String(first)}); reopening and retrying once`,
    );
    try {
      await this.child.close();
    } catch {
      // The child is already broken; the reopen below is what matters.
    }
    await this.child.open();
    await this.child.append(batch);
  }
}

export const stubbornAppendDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'stubbornAppend',
  docs:
    'Passes appends through; when one fails, closes and reopens the sub sink and appends again. If the ' +
    'second attempt fails too, the error is passed on. Useful with network sinks whose connection broke.',
  params: [],
  build: (_args, ctx, child) => new StubbornAppendSink(child, ctx.logger),
};
