import type { DecoratorDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { atLeast } from './args.js';

/**
 * Waits ms milliseconds before forwarding each batch. Because append returns the wait as
 * backpressure, nothing else enters the pipeline meanwhile (workload simulation).
 */
export class DelaySink extends DecoratorSink {
  constructor(
    child: EventSink,
    private readonly ms: number,
  ) {
    super(child);
  }

  append(batch: Batch): void | Promise<void> {
    if (this.ms === 0) return this.child.append(batch);
    return new Promise<void>((resolve) => setTimeout(resolve, this.ms)).then(() => this.child.append(batch));
  }
}

export const delayDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'delay',
  docs:
    'Waits ms milliseconds before forwarding each batch of events, holding back the events behind it. ' +
    'Useful for workload simulation with asciisynth sources.',
  params: [{ name: 'ms', type: 'int', docs: 'Delay in milliseconds.' }],
  build: (args, _ctx, child) => new DelaySink(child, atLeast(args.component, 'ms', args.int('ms'), 0)),
};
