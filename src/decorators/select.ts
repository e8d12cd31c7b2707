import type { DecoratorDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { requireNames } from './args.js';

/** Keeps only the named attributes: a relational projection of the metadata. */
export class SelectSink extends DecoratorSink {
  private readonly keep: ReadonlySet<string>;

  constructor(child: EventSink, names: readonly string[]) {
    super(child);
    this.keep = new Set(names);
  }

  append(batch: Batch): void | Promise<void> {
    const keep = this.keep;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      if (e.attrCount === 0) continue;
      // Deleting the current key while iterating a Map is well defined in JavaScript.
      for (const [name] of e.attrEntries()) if (!keep.has(name)) e.deleteAttr(name);
    }
    return this.child.append(batch);
  }
}

export const selectDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'select',
  docs: 'Forwards events with only the metadata attributes named (like a SQL select); all others are removed.',
  params: [{ name: 'attrs', type: 'string', variadic: true, docs: 'Names of the attributes to keep.' }],
  build: (args, _ctx, child) => new SelectSink(child, requireNames(args.component, args.rest('attrs'))),
};
