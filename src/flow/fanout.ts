import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { settleAll } from './settle.js';

/**
 * Fanout `[ a, b, ... ]`: every child gets every event (Unix tee). Children may change events in
 * place, so all but the last child get their own copies. An append succeeds only when every child
 * accepted the batch; the first failure is reported after all children were tried, so one broken
 * branch never starves the others of a batch.
 */
export class FanoutSink implements EventSink {
  constructor(private readonly children: EventSink[]) {}

  open(): Promise<void> {
    return settleAll(this.children.map((c) => c.open()));
  }

  append(batch: Batch): void | Promise<void> {
    const n = this.children.length;
    let pending: Promise<void>[] | undefined;
    let error: unknown;
    for (let i = 0; i < n; i++) {
      const b = i === n - 1 ? batch : copyBatch(batch);
      try {
        const r = this.children[i]!.append(b);
        if (r) (pending ??= []).push(r);
      } catch (e) {
        error ??= e;
      }
    }
    if (pending) {
      const p = settleAll(pending);
      return error === undefined ? p : p.then(() => Promise.reject(error));
    }
    if (error !== undefined) throw error;
  }

  flush(): Promise<void> {
    return settleAll(this.children.map((c) => (c.flush ? c.flush() : Promise.resolve())));
  }

  close(): Promise<void> {
    return settleAll(this.children.map((c) => c.close()));
  }
}

function copyBatch(batch: Batch): Batch {
  const out = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) out[i] = batch[i]!.copy();
  return out;
}
