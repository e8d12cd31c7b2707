import type { SourceDef } from '../catalog/types.js';
import type { EventSource } from '../core/pipeline.js';

/** Opens, closes and is drained at once: the first `next()` returns null. */
export class NullSource implements EventSource {
  open(): Promise<void> {
    return Promise.resolve();
  }
  next(): null {
    return null;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const nullSource: SourceDef = {
  kind: 'source',
  name: 'null',
  docs: 'Null source. Opens, closes, and returns no events: the first next() reports the source drained.',
  params: [],
  build: () => new NullSource(),
};
