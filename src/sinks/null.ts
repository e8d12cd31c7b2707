import type { SinkDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';

/** Drops every event, counting them (benchmarks, and flows whose decorators are the point). */
export class NullSink implements EventSink {
  events = 0;
  batches = 0;

  open(): Promise<void> {
    return Promise.resolve();
  }

  append(batch: Batch): void {
    this.events += batch.length;
    this.batches++;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const nullSink: SinkDef = {
  kind: 'sink',
  name: 'null',
  docs: 'Null sink: events are counted and dropped.',
  params: [],
  build: () => new NullSink(),
};
