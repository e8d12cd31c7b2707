import type { DecoratorDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import { DecoratorSink } from '../core/pipeline.js';

/** Passes batches through untouched: a placeholder in specs and the identity in tests. */
export class NullDecoratorSink extends DecoratorSink {
  append(batch: Batch): void | Promise<void> {
    return this.child.append(batch);
  }
}

export const nullDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'nullDeco',
  docs: 'Passes every event through to its child sink unchanged.',
  params: [],
  build: (_args, _ctx, child) => new NullDecoratorSink(child),
};
