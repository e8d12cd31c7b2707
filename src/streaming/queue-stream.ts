import type { StreamOperator } from './dstream.js';

/**
 * queueStream: each batch takes the next array of `queue` (one per batch with `oneAtATime`, as Spark's
 * default; every queued array at once otherwise). The caller may push more arrays while it runs; an
 * empty queue gives `defaultBatch` (empty unless given).
 */
export interface QueueStreamOptions<T> {
  oneAtATime?: boolean;
  defaultBatch?: readonly T[];
}

export function queueOperator<T>(
  batchIntervalMs: number,
  queue: (readonly T[])[],
  opts: QueueStreamOptions<T>,
): StreamOperator<T> {
  const oneAtATime = opts.oneAtATime ?? true;
  const empty: readonly T[] = opts.defaultBatch ?? [];
  return {
    kind: 'queueStream',
    slideMs: batchIntervalMs,
    everyBatch: true,
    compute() {
      if (queue.length === 0) return empty;
      if (oneAtATime) return queue.shift()!;
      return queue.splice(0, queue.length).flat() as T[];
    },
  };
}
