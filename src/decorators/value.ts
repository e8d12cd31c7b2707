import type { DecoratorDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';

/**
 * Adds a constant attribute. An attribute written upstream wins (Event.setAttr never overwrites), so
 * a chain of value decorators records the first stage's value, as Flume's invariant requires.
 */
export class ValueSink extends DecoratorSink {
  private readonly value: Buffer;

  constructor(
    child: EventSink,
    private readonly attr: string,
    value: string,
  ) {
    super(child);
    // One buffer shared by every event: attribute values are never mutated in place.
    this.value = Buffer.from(value, 'utf8');
  }

  append(batch: Batch): void | Promise<void> {
    for (let i = 0; i < batch.length; i++) batch[i]!.setAttr(this.attr, this.value);
    return this.child.append(batch);
  }
}

export const valueDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'value',
  docs:
    'Adds the metadata attribute attr with the constant value to every event, for example to tag data ' +
    'for later demultiplexing. An attribute already written upstream is kept as it is.',
  params: [
    { name: 'attr', type: 'string', docs: 'Name of the attribute to add.' },
    { name: 'value', type: 'string', docs: 'Value of the attribute (UTF-8).' },
  ],
  build: (args, _ctx, child) => new ValueSink(child, args.string('attr'), args.string('value')),
};
