import type { BuildContext } from '../../src/catalog/types.js';
import { takeAck } from '../../src/core/ack.js';
import { SiteConfig } from '../../src/core/config.js';
import type { Batch, Event } from '../../src/core/event.js';
import { memoryLogger } from '../../src/core/logger.js';
import type { EventSource } from '../../src/core/pipeline.js';

/** A build context for source tests; its logger keeps lines for assertions. */
export function testContext(allowExec = false): BuildContext & { logger: ReturnType<typeof memoryLogger> } {
  return { config: SiteConfig.defaults(), nodeName: 'test', allowExec, logger: memoryLogger() };
}

const pending = new WeakMap<EventSource, Promise<Batch | null>>();

/**
 * Pulls from a source until it is drained, `want` events arrived or `timeoutMs` passed; never hangs.
 * Returns the events and the batches' sizes. Waiting for `want` events, the default deadline is 30 s:
 * a loaded machine only makes it slower; a drain without `want` waits 5 s for the source's end.
 */
export async function pull(
  src: EventSource,
  opts: { want?: number; timeoutMs?: number } = {},
): Promise<{ events: Event[]; batches: number[]; drained: boolean }> {
  const want = opts.want ?? Number.POSITIVE_INFINITY;
  const deadline = Date.now() + (opts.timeoutMs ?? (opts.want !== undefined ? 30_000 : 5000));
  const events: Event[] = [];
  const batches: number[] = [];
  while (events.length < want) {
    const left = deadline - Date.now();
    if (left <= 0) return { events, batches, drained: false };
    const r = pending.get(src) ?? src.next();
    pending.delete(src);
    let b: Batch | null | 'timeout';
    if (r instanceof Promise) {
      b = await raceTimeout(r, left);
      if (b === 'timeout') {
        // The source still owes this batch: the next pull takes it instead of calling next() twice.
        pending.set(src, r);
        return { events, batches, drained: false };
      }
    } else b = r;
    if (b === null) return { events, batches, drained: true };
    // Taken as a runner whose put committed: a source waiting for its ack hears ok (docs/acks.md).
    takeAck(b)?.ok();
    batches.push(b.length);
    for (const e of b) events.push(e);
  }
  return { events, batches, drained: false };
}

/** Resolves with the promise's value or 'timeout'; the timer never outlives the race. */
export function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    t = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

export function bodies(events: Event[]): string[] {
  return events.map((e) => e.body.toString('latin1'));
}
