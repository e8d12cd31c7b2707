import type { DecoratorDef } from '../catalog/types.js';
import type { Batch, Event } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { atLeast } from './args.js';
import type { Random } from './probSampler.js';

/**
 * Keeps a uniform random sample of at most k of the events seen since the last flush (reservoir
 * sampling, algorithm R) and forwards it on flush or close: exactly k when at least k arrived.
 * Appends forward nothing; the sample is reordered.
 */
export class ReservoirSamplerSink extends DecoratorSink {
  private reservoir: Event[] = [];
  private seen = 0;

  constructor(
    child: EventSink,
    private readonly k: number,
    private readonly random: Random = Math.random,
  ) {
    super(child);
  }

  append(batch: Batch): void {
    const { k, reservoir, random } = this;
    for (let i = 0; i < batch.length; i++) {
      const seen = this.seen++;
      if (seen < k) reservoir.push(batch[i]!);
      else {
        const j = Math.floor(random() * (seen + 1));
        if (j < k) reservoir[j] = batch[i]!;
      }
    }
  }

  override flush(): Promise<void> {
    return this.emit().then(() => super.flush());
  }

  override close(): Promise<void> {
    return this.emit().then(
      () => super.close(),
      (e: unknown) =>
        super.close().then(
          () => Promise.reject(e),
          () => Promise.reject(e),
        ),
    );
  }

  private emit(): Promise<void> {
    if (this.reservoir.length === 0) return Promise.resolve();
    const sample = this.reservoir;
    this.reservoir = [];
    this.seen = 0;
    try {
      return this.child.append(sample) ?? Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

export const reservoirSamplerDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'reservoirSampler',
  docs:
    'Reservoir sampler: when flushed or closed, forwards at most k events, exactly k if at least k ' +
    'arrived, each event having the same chance to be chosen. The events are reordered.',
  params: [{ name: 'k', type: 'int', docs: 'Size of the sample.' }],
  build: (args, _ctx, child) =>
    new ReservoirSamplerSink(child, atLeast(args.component, 'k', args.int('k'), 1)),
};
