import { SluiceError } from '../core/errors.js';
import type { DStream, Pair, StreamOperator } from './dstream.js';

/**
 * Windows over a stream: at every slide, the batches of the last `windowMs`. A window's batches are the
 * parent's batches at times in (t - windowMs, t]; the parent keeps them that long (`rememberAtLeast`).
 */

/** Checks a window's lengths against its parent's slide: Spark's rule, with the numbers in the message. */
export function checkWindow(kind: string, parent: DStream<unknown>, windowMs: number, slideMs: number): void {
  const unit = parent.slideMs;
  const what = unit === parent.graph.batchIntervalMs ? 'the batch interval' : "the parent stream's slide";
  for (const [name, ms] of [
    ['windowMs', windowMs],
    ['slideMs', slideMs],
  ] as const) {
    if (!Number.isInteger(ms) || ms <= 0)
      throw new SluiceError(
        'SLUICE_STREAMING',
        `${kind}: ${name} must be a positive whole number of ms, got ${ms}`,
        {
          place: { field: name },
        },
      );
    if (ms % unit !== 0)
      throw new SluiceError(
        'SLUICE_STREAMING',
        `${kind}: ${name} ${ms} ms is not a multiple of ${what} (${unit} ms)`,
        { place: { field: name } },
      );
  }
}

/** The parent's batch times in (from, to], oldest first. */
function timesIn(parent: DStream<unknown>, from: number, to: number): number[] {
  const out: number[] = [];
  const step = parent.slideMs;
  const zero = parent.graph.zeroTime;
  // Align on the parent's own times (zeroTime + k * slide).
  let t = from + (step - ((((from - zero) % step) + step) % step));
  for (; t <= to; t += step) out.push(t);
  return out;
}

export function windowOperator<T>(parent: DStream<T>, windowMs: number, slideMs: number): StreamOperator<T> {
  checkWindow('window', parent as DStream<unknown>, windowMs, slideMs);
  parent.rememberAtLeast(windowMs);
  return {
    kind: 'window',
    slideMs,
    compute(time) {
      const parts: (readonly T[])[] = [];
      for (const t of timesIn(parent as DStream<unknown>, time - windowMs, time)) {
        const r = parent.getOrCompute(t);
        if (r !== undefined && r.length > 0) parts.push(r);
      }
      return parts.length === 1 ? parts[0]! : (parts.flat() as T[]);
    },
  };
}

/** A key's value over the window, how many of the window's batches hold it, and since which batch. */
interface WindowEntry<V> {
  value: V;
  batches: number;
  /** The time of the oldest batch that entered the value: older batches leaving do not concern it. */
  since: number;
}

/**
 * reduceByKeyAndWindow with an inverse function, after Spark's ReducedWindowedDStream: the previous
 * window's values, plus the batches that entered (`reduce`), minus those that left (`inverse`). Unlike
 * Spark, each key counts the batches of the window that hold it, so a key no batch holds any more is
 * dropped and the results equal the plain reduce's whether or not a filter is given.
 */
export function reduceByKeyAndWindowInverse<K, V>(
  reduced: DStream<[K, V]>,
  reduce: (a: V, b: V) => V,
  inverse: (a: V, b: V) => V,
  windowMs: number,
  slideMs: number,
  filter: ((pair: Pair<K, V>) => boolean) | undefined,
): StreamOperator<[K, V]> {
  const parent = reduced as DStream<unknown>;
  checkWindow('reduceByKeyAndWindow', parent, windowMs, slideMs);
  // The batches that leave at the next slide are older than the window: keep them a slide longer.
  reduced.rememberAtLeast(windowMs + slideMs);
  let window = new Map<K, WindowEntry<V>>();
  let windowTime: number | undefined;

  const enter = (t: number): void => {
    const r = reduced.getOrCompute(t);
    if (r === undefined) return;
    for (let i = 0; i < r.length; i++) {
      const [k, v] = r[i]!;
      const e = window.get(k);
      if (e === undefined) window.set(k, { value: v, batches: 1, since: t });
      else {
        e.value = reduce(e.value, v);
        e.batches++;
      }
    }
  };
  const leave = (t: number): void => {
    const r = reduced.getOrCompute(t);
    if (r === undefined) return;
    for (let i = 0; i < r.length; i++) {
      const [k, v] = r[i]!;
      const e = window.get(k);
      if (e === undefined || t < e.since) continue;
      if (--e.batches === 0) window.delete(k);
      else e.value = inverse(e.value, v);
    }
  };

  return {
    kind: 'reduceByKeyAndWindow',
    slideMs,
    everyBatch: true,
    compute(time) {
      if (windowTime === time - slideMs && slideMs < windowMs) {
        for (const t of timesIn(parent, windowTime - windowMs, time - windowMs)) leave(t);
        for (const t of timesIn(parent, windowTime, time)) enter(t);
      } else {
        // The first window, or one after a gap: reduce the whole window.
        window = new Map();
        for (const t of timesIn(parent, time - windowMs, time)) enter(t);
      }
      windowTime = time;
      const out: [K, V][] = [];
      for (const [k, e] of window) {
        if (filter !== undefined && !filter([k, e.value])) window.delete(k);
        else out.push([k, e.value]);
      }
      return out;
    },
    save: () => ({ time: windowTime, entries: [...window] }),
    restore(saved) {
      const s = saved as { time: number | undefined; entries: [K, WindowEntry<V>][] };
      windowTime = s.time ?? undefined;
      window = new Map(s.entries);
    },
  };
}
