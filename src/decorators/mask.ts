import type { DecoratorDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { requireNames } from './args.js';

/** Removes the named attributes and forwards every other one. */
export class MaskSink extends DecoratorSink {
  constructor(
    child: EventSink,
    private readonly names: readonly string[],
  ) {
    super(child);
  }

  append(batch: Batch): void | Promise<void> {
    const names = this.names;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      if (e.attrCount === 0) continue;
      for (let j = 0; j < names.length; j++) e.deleteAttr(names[j]!);
    }
    return this.child.append(batch);
  }
}

export const maskDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'mask',
  docs: 'Forwards events with all metadata attributes except the ones named (the complement of select).',
  params: [{ name: 'attrs', type: 'string', variadic: true, docs: 'Names of the attributes to remove.' }],
  build: (args, _ctx, child) => new MaskSink(child, requireNames(args.component, args.rest('attrs'))),
};
