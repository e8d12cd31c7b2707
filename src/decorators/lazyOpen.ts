import type { DecoratorDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import { DecoratorSink } from '../core/pipeline.js';

/**
 * Opens the child on the first append, so a sink opened and closed without data (a network client to
 * a collector that is not up yet) never connects. Flush and close reach the child only if it was opened.
 */
export class LazyOpenSink extends DecoratorSink {
  private childOpen = false;
  private opening: Promise<void> | undefined;

  override open(): Promise<void> {
    return Promise.resolve();
  }

  append(batch: Batch): void | Promise<void> {
    if (this.childOpen) return this.child.append(batch);
    this.opening ??= this.child.open().then(
      () => {
        this.childOpen = true;
        this.opening = undefined;
      },
      (e: unknown) => {
        // Let the next append try again.
        this.opening = undefined;
        throw e;
      },
    );
    return this.opening.then(() => this.child.append(batch));
  }

  override flush(): Promise<void> {
    return this.childOpen ? super.flush() : Promise.resolve();
  }

  override close(): Promise<void> {
    const opening = this.opening;
    if (opening)
      return opening.then(
        () => this.close(),
        () => undefined,
      );
    if (!this.childOpen) return Promise.resolve();
    this.childOpen = false;
    return super.close();
  }

  /** True once the child has been opened (and not closed since). */
  get isChildOpen(): boolean {
    return this.childOpen;
  }
}

export const lazyOpenDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'lazyOpen',
  docs:
    'Opens its sub sink only when the first event is appended. If it is opened and closed without any ' +
    'appends, the sub sink is never opened.',
  params: [],
  build: (_args, _ctx, child) => new LazyOpenSink(child),
};
