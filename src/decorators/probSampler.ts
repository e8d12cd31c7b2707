import type { DecoratorDef } from '../catalog/types.js';
import type { Batch, Event } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { badArgument } from './args.js';

/** A source of uniform numbers in [0, 1); tests pass a seeded one. */
export type Random = () => number;

/** Forwards each event independently with probability p. */
export class ProbSamplerSink extends DecoratorSink {
  constructor(
    child: EventSink,
    private readonly p: number,
    private readonly random: Random = Math.random,
  ) {
    super(child);
  }

  append(batch: Batch): void | Promise<void> {
    const { p, random } = this;
    const out: Event[] = [];
    for (let i = 0; i < batch.length; i++) if (random() < p) out.push(batch[i]!);
    return out.length > 0 ? this.child.append(out) : undefined;
  }
}

export const probSamplerDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'probSampler',
  docs: 'Probability sampler: every event is forwarded with probability p (0.0 <= p <= 1.0).',
  params: [{ name: 'p', type: 'float', docs: 'Probability of forwarding an event.' }],
  build: (args, _ctx, child) => {
    const p = args.float('p');
    if (!(p >= 0 && p <= 1))
      throw badArgument(args.component, 'p', `p must be between 0.0 and 1.0, got ${p}`);
    return new ProbSamplerSink(child, p);
  },
};
