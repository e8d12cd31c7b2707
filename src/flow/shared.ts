import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';

/**
 * The instance a `let x := sink in ...` binds: every reference to `x` in the body shares it. It opens
 * on the first open and closes on the last close, so a sink referenced from two branches (the seed's
 * `< primary ? { diskFailover => { insistentOpen => primary } } >`) is one connection, not two.
 */
export class SharedSink implements EventSink {
  private opens = 0;
  private opening: Promise<void> | undefined;

  constructor(private readonly inner: EventSink) {}

  open(): Promise<void> {
    this.opens++;
    if (this.opens === 1) this.opening = this.inner.open();
    return this.opening ?? Promise.resolve();
  }

  append(batch: Batch): void | Promise<void> {
    return this.inner.append(batch);
  }

  flush(): Promise<void> {
    return this.inner.flush ? this.inner.flush() : Promise.resolve();
  }

  close(): Promise<void> {
    if (this.opens === 0) return Promise.resolve();
    this.opens--;
    if (this.opens === 0) {
      this.opening = undefined;
      return this.inner.close();
    }
    return Promise.resolve();
  }
}
