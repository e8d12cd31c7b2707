import type { DecoratorDef } from '../catalog/types.js';
import type { Batch, Event } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { atLeast } from './args.js';

/** Forwards every n-th event (the n-th, 2n-th ...), counting across batches. */
export class IntervalSamplerSink extends DecoratorSink {
  /** Events seen since the last one forwarded. */
  private seen = 0;

  constructor(
    child: EventSink,
    private readonly n: number,
  ) {
    super(child);
  }

  append(batch: Batch): void | Promise<void> {
    const n = this.n;
    const out: Event[] = [];
    // Jump straight to the next forwarded index instead of testing every event.
    let i = n - 1 - this.seen;
    for (; i < batch.length; i += n) out.push(batch[i]!);
    this.seen = (this.seen + batch.length) % n;
    return out.length > 0 ? this.child.append(out) : undefined;
  }
}

export const intervalSamplerDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'intervalSampler',
  docs: 'Interval sampler: forwards every n-th event and drops the others.',
  params: [{ name: 'n', type: 'int', docs: 'Sampling interval (1 forwards everything).' }],
  build: (args, _ctx, child) =>
    new IntervalSamplerSink(child, atLeast(args.component, 'n', args.int('n'), 1)),
};
