// Property tests: every operation against a straightforward reference computation over the same random
// batches, run on the manual clock (a 300 s window takes milliseconds). The reference recomputes each
// window from the raw batches; the engine computes incrementally where it can.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRng as rng } from '../../test/support/arbitrary.js';
import { memoryLogger } from '../core/logger.js';
import { StreamingContext } from './context.js';
import type { DStream, Pair } from './dstream.js';
import { StateSpec } from './state.js';

const B = 1000;

type KV = [string, number];

/** `n` batches of up to `max` pairs over `keys` keys (some batches empty). */
function randomBatches(r: () => number, n: number, keys = 6, max = 8): KV[][] {
  return Array.from({ length: n }, () =>
    r() < 0.15
      ? []
      : Array.from(
          { length: Math.floor(r() * max) },
          (): KV => [`k${Math.floor(r() * keys)}`, 1 + Math.floor(r() * 9)],
        ),
  );
}

/** Runs `build` over a queue of `batches` for `n` batches and collects each output batch by time. */
async function run<T>(batches: KV[][], build: (s: DStream<KV>) => DStream<T>, n = batches.length) {
  const ssc = new StreamingContext({ batchIntervalMs: B, clock: 'manual', logger: memoryLogger() });
  const out = new Map<number, T[]>();
  build(ssc.queueStream(batches.map((b) => [...b]))).foreachRDD((r, t) => {
    out.set(t, [...r]);
  });
  await ssc.start();
  await ssc.advance(n * B);
  await ssc.stop();
  return out;
}

/** Batch i (1-based) is at time i * B; the window at t holds the batches at times in (t - w, t]. */
function windowOf<T>(batches: T[][], t: number, w: number): T[] {
  const out: T[] = [];
  for (let i = 1; i <= batches.length; i++) if (i * B > t - w && i * B <= t) out.push(...batches[i - 1]!);
  return out;
}

function sumByKey(records: readonly KV[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const [k, v] of records) m.set(k, (m.get(k) ?? 0) + v);
  return m;
}

const sorted = <T>(xs: Iterable<T>) => [...xs].map((x) => JSON.stringify(x)).sort();

function sameSets<T>(actual: Map<number, T[]>, expected: Map<number, T[]>, what: string): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${what}: output times`);
  for (const [t, e] of expected) assert.deepEqual(sorted(actual.get(t)!), sorted(e), `${what} at ${t}`);
}

const add = (a: number, b: number) => a + b;
const sub = (a: number, b: number) => a - b;

/** The valid times of a stream sliding every `s` over `n` batches. */
const slideTimes = (n: number, s: number) =>
  Array.from({ length: n }, (_, i) => (i + 1) * B).filter((t) => t % s === 0);

test('per-batch transformations equal the reference on random batches', async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const batches = randomBatches(rng(seed), 12);
    const each = <T>(f: (b: KV[], t: number) => T[]) =>
      new Map(batches.map((b, i) => [(i + 1) * B, f(b, (i + 1) * B)]));
    const check = async <T>(
      what: string,
      build: (s: DStream<KV>) => DStream<T>,
      f: (b: KV[], t: number) => T[],
    ) => sameSets(await run(batches, build), each(f), `${what} seed ${seed}`);
    await check(
      'map',
      (s) => s.map(([k, v]) => `${k}=${v}`),
      (b) => b.map(([k, v]) => `${k}=${v}`),
    );
    await check(
      'filter',
      (s) => s.filter(([, v]) => v > 4),
      (b) => b.filter(([, v]) => v > 4),
    );
    await check(
      'flatMap',
      (s) => s.flatMap(([k, v]) => Array(v % 3).fill(k)),
      (b) => b.flatMap(([k, v]) => Array(v % 3).fill(k)),
    );
    await check(
      'mapPartitions',
      (s) => s.mapPartitions((rs) => [rs.length]),
      (b) => [b.length],
    );
    await check(
      'transform',
      (s) => s.transform((rs, t) => [t + rs.length]),
      (b, t) => [t + b.length],
    );
    await check(
      'count',
      (s) => s.count(),
      (b) => [b.length],
    );
    await check(
      'countByValue',
      (s) => s.map(([k]) => k).countByValue(),
      (b) => [...sumByKey(b.map(([k]): KV => [k, 1]))],
    );
    await check(
      'reduce',
      (s) => s.map(([, v]) => v).reduce(add),
      (b) => (b.length ? [b.reduce((a, [, v]) => a + v, 0)] : []),
    );
    await check(
      'reduceByKey',
      (s) => s.reduceByKey(add),
      (b) => [...sumByKey(b)],
    );
    await check(
      'groupByKey',
      (s) => s.groupByKey().map(([k, vs]) => [k, vs.join(',')]),
      (b) => {
        const g = new Map<string, number[]>();
        for (const [k, v] of b) g.set(k, [...(g.get(k) ?? []), v]);
        return [...g].map(([k, vs]) => [k, vs.join(',')]);
      },
    );
    await check(
      'union',
      (s) => s.union(s.filter(([, v]) => v > 5)),
      (b) => [...b, ...b.filter(([, v]) => v > 5)],
    );
  }
});

test('joins and cogroup equal the reference on random batches', async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const batches = randomBatches(rng(100 + seed), 10, 5);
    // Two streams from one input: the left holds even values, the right odd ones, keyed alike.
    const left = (b: KV[]) => b.filter(([, v]) => v % 2 === 0);
    const right = (b: KV[]) => b.filter(([, v]) => v % 2 === 1);
    const refJoin = (b: KV[], kind: 'inner' | 'left' | 'right' | 'full') => {
      const out: [string, [number | null, number | null]][] = [];
      const l = left(b);
      const r = right(b);
      for (const [k, v] of l) {
        const ms = r.filter(([k2]) => k2 === k);
        if (ms.length === 0 && (kind === 'left' || kind === 'full')) out.push([k, [v, null]]);
        for (const [, w] of ms) out.push([k, [v, w]]);
      }
      if (kind === 'right' || kind === 'full')
        for (const [k, w] of r) if (!l.some(([k2]) => k2 === k)) out.push([k, [null, w]]);
      return out;
    };
    const each = <T>(f: (b: KV[]) => T[]) => new Map(batches.map((b, i) => [(i + 1) * B, f(b)]));
    const norm = <K, V, W>(p: readonly [K, readonly [V, W]]) => [p[0], [p[1][0] ?? null, p[1][1] ?? null]];
    const lr = (s: DStream<KV>) =>
      [s.filter(([, v]) => v % 2 === 0), s.filter(([, v]) => v % 2 === 1)] as const;
    sameSets(
      await run(batches, (s) => {
        const [l, r] = lr(s);
        return l.join(r).map(norm);
      }),
      each((b) => refJoin(b, 'inner')),
      'join',
    );
    sameSets(
      await run(batches, (s) => {
        const [l, r] = lr(s);
        return l.leftOuterJoin(r).map(norm);
      }),
      each((b) => refJoin(b, 'left')),
      'leftOuterJoin',
    );
    sameSets(
      await run(batches, (s) => {
        const [l, r] = lr(s);
        return l.rightOuterJoin(r).map(norm);
      }),
      each((b) => refJoin(b, 'right')),
      'rightOuterJoin',
    );
    sameSets(
      await run(batches, (s) => {
        const [l, r] = lr(s);
        return l.fullOuterJoin(r).map(norm);
      }),
      each((b) => refJoin(b, 'full')),
      'fullOuterJoin',
    );
    sameSets(
      await run(batches, (s) => {
        const [l, r] = lr(s);
        return l.cogroup(r).map(([k, [vs, ws]]) => [k, [...vs].sort(), [...ws].sort()]);
      }),
      each((b) => {
        const keys = new Set([...left(b), ...right(b)].map(([k]) => k));
        return [...keys].map((k) => [
          k,
          left(b)
            .filter(([k2]) => k2 === k)
            .map(([, v]) => v)
            .sort(),
          right(b)
            .filter(([k2]) => k2 === k)
            .map(([, v]) => v)
            .sort(),
        ]);
      }),
      'cogroup',
    );
  }
});

test('window operations equal the reference for random windows and slides; the inverse path gives exactly the plain reduce', async () => {
  for (let seed = 1; seed <= 30; seed++) {
    const r = rng(seed * 7919);
    const n = 20 + Math.floor(r() * 15);
    const w = (1 + Math.floor(r() * 6)) * B;
    const s = (1 + Math.floor(r() * 3)) * B;
    const batches = randomBatches(r, n);
    const what = `seed ${seed} window ${w} slide ${s}`;
    const times = slideTimes(n, s);
    const at = <T>(f: (records: KV[]) => T[]) => new Map(times.map((t) => [t, f(windowOf(batches, t, w))]));

    sameSets(
      await run(batches, (x) => x.window(w, s)),
      at((rs) => rs),
      `window ${what}`,
    );
    const plain = await run(batches, (x) => x.reduceByKeyAndWindow(add, w, s));
    const inverse = await run(batches, (x) => x.reduceByKeyAndWindow(add, sub, w, s));
    const ref = at((rs) => [...sumByKey(rs)]);
    sameSets(plain, ref, `reduceByKeyAndWindow ${what}`);
    sameSets(inverse, ref, `reduceByKeyAndWindow with inverse ${what}`);
    // A filter on keys, and one dropping empty counts, give the filtered plain results.
    const keep = ([k]: Pair<string, number>) => k !== 'k1';
    sameSets(
      await run(batches, (x) => x.reduceByKeyAndWindow(add, sub, w, s, keep)),
      at((rs) => [...sumByKey(rs)].filter(keep)),
      `inverse with filter ${what}`,
    );
    sameSets(
      await run(batches, (x) => x.reduceByKeyAndWindow(add, sub, w, s, ([, v]) => v > 0)),
      ref,
      `inverse with filter v > 0 ${what}`,
    );
    sameSets(
      await run(batches, (x) => x.countByWindow(w, s)),
      at((rs) => [rs.length]),
      `countByWindow ${what}`,
    );
    const sum = (rs: KV[]) => (rs.length ? [rs.reduce((a, [, v]) => a + v, 0)] : []);
    sameSets(
      await run(batches, (x) => x.map(([, v]) => v).reduceByWindow(add, w, s)),
      at(sum),
      `reduceByWindow ${what}`,
    );
    sameSets(
      await run(batches, (x) => x.map(([, v]) => v).reduceByWindow(add, sub, w, s)),
      at(sum),
      `reduceByWindow inverse ${what}`,
    );
    sameSets(
      await run(batches, (x) => x.map(([k]) => k).countByValueAndWindow(w, s)),
      at((rs) => [...sumByKey(rs.map(([k]): KV => [k, 1]))]),
      `countByValueAndWindow ${what}`,
    );
  }
});

test("the tutorial's 300 s window sliding every second, with the inverse, over 900 one-second batches", async () => {
  const r = rng(42);
  const batches = randomBatches(r, 900, 20, 30);
  const inverse = await run(batches, (x) => x.reduceByKeyAndWindow(add, sub, 300_000, 1000));
  assert.equal(inverse.size, 900);
  for (const t of [1000, 150_000, 300_000, 301_000, 450_000, 600_000, 899_000, 900_000])
    assert.deepEqual(
      sorted(inverse.get(t)!),
      sorted([...sumByKey(windowOf(batches, t, 300_000))]),
      `window at ${t}`,
    );
});

test('a window over a windowed stream reads its parent at the parent slide', async () => {
  const batches = randomBatches(rng(5), 24);
  const out = await run(batches, (x) =>
    x
      .window(4 * B, 2 * B)
      .window(8 * B, 4 * B)
      .count(),
  );
  // The outer window holds the inner windows at t, t-2, t-4 and t-6 batches: each batch up to 2 times.
  const expected = new Map(
    slideTimes(24, 4 * B).map((t) => {
      let n = 0;
      for (const inner of [t, t - 2 * B, t - 4 * B, t - 6 * B])
        if (inner > 0) n += windowOf(batches, inner, 4 * B).length;
      return [t, [n]];
    }),
  );
  sameSets(out, expected, 'window of window');
});

test('updateStateByKey keeps running sums and drops keys whose update returns undefined', async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const batches = randomBatches(rng(seed * 31), 25);
    const out = await run(batches, (x) =>
      x.updateStateByKey<string, number, number>((vs, s) => {
        const total = (s ?? 0) + vs.reduce(add, 0);
        // A key whose total passes 40 is dropped (and starts again from 0).
        return total > 40 ? undefined : total;
      }),
    );
    const state = new Map<string, number>();
    const expected = new Map<number, KV[]>();
    batches.forEach((b, i) => {
      const sums = sumByKey(b);
      for (const k of new Set([...state.keys(), ...sums.keys()])) {
        const total = (state.get(k) ?? 0) + (sums.get(k) ?? 0);
        if (total > 40) state.delete(k);
        else state.set(k, total);
      }
      expected.set((i + 1) * B, [...state]);
    });
    sameSets(out, expected, `updateStateByKey seed ${seed}`);
  }
});

test('mapWithState: running counts, removal, and timeouts after the idle duration', async () => {
  for (let seed = 1; seed <= 10; seed++) {
    const timeout = (1 + (seed % 4)) * B;
    const batches = randomBatches(rng(seed * 97), 30, 8, 3);
    const spec = StateSpec.function<string, number, number, string>((k, v, state) => {
      if (state.isTimingOut()) return `timeout ${k} ${state.get()}`;
      const total = (state.getOption() ?? 0) + (v ?? 0);
      if (total > 30) {
        state.remove();
        return `removed ${k}`;
      }
      state.update(total);
      return `${k} ${total}`;
    }).timeout(timeout);
    const snapshots = new Map<number, KV[]>();
    const out = await run(batches, (x) => {
      const mapped = x.mapWithState(spec);
      mapped.stateSnapshots().foreachRDD((r, t) => {
        snapshots.set(t, [...r]);
      });
      return mapped;
    });
    // Reference: Spark's rules, one record at a time, then the keys idle for longer than the timeout.
    const state = new Map<string, { v: number; at: number }>();
    const expected = new Map<number, string[]>();
    const expectedSnapshots = new Map<number, KV[]>();
    batches.forEach((b, i) => {
      const t = (i + 1) * B;
      const emitted: string[] = [];
      for (const [k, v] of b) {
        const total = (state.get(k)?.v ?? 0) + v;
        if (total > 30) {
          state.delete(k);
          emitted.push(`removed ${k}`);
        } else {
          state.set(k, { v: total, at: t });
          emitted.push(`${k} ${total}`);
        }
      }
      for (const [k, s] of [...state]) {
        if (s.at < t - timeout) {
          emitted.push(`timeout ${k} ${s.v}`);
          state.delete(k);
        }
      }
      expected.set(t, emitted);
      expectedSnapshots.set(
        t,
        [...state].map(([k, s]): KV => [k, s.v]),
      );
    });
    sameSets(out, expected, `mapWithState seed ${seed} timeout ${timeout}`);
    sameSets(snapshots, expectedSnapshots, `stateSnapshots seed ${seed}`);
  }
});

test('mapWithState: a timing-out state cannot be updated; initialState seeds the states', async () => {
  const ssc = new StreamingContext({ batchIntervalMs: B, clock: 'manual', logger: memoryLogger() });
  const seen: string[] = [];
  const spec = StateSpec.function<string, number, number, string>((k, v, state) => {
    if (state.isTimingOut()) {
      assert.throws(() => state.update(1), /timing out cannot be updated/);
      return `timeout ${k}`;
    }
    state.update((state.getOption() ?? 0) + (v ?? 0));
    return `${k} ${state.get()}`;
  })
    .timeout(2 * B)
    .initialState([['seed', 100]]);
  ssc
    .queueStream<KV>([[['seed', 1]], [['a', 1]]])
    .mapWithState(spec)
    .foreachRDD((r) => {
      seen.push(...r);
    });
  await ssc.start();
  await ssc.advance(6 * B);
  await ssc.stop();
  assert.deepEqual(seen, ['seed 101', 'a 1', 'timeout seed', 'timeout a']);
});
