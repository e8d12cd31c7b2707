import { SluiceError } from '../core/errors.js';
import { cogroupBatches, fullOuterJoinBatches, joinBatches, leftOuterJoinBatches } from './join.js';
import { saveTextFiles } from './output.js';
import { formatBatch } from './print.js';
import { mapWithStateOperator, type StateSpec, updateStateOperator } from './state.js';
import { reduceByKeyAndWindowInverse, windowOperator } from './window.js';

/**
 * What a DStream needs from its StreamingContext. Declared here so DStreams and their operators never
 * import the context at run time (the context imports them).
 */
export interface StreamGraph {
  readonly batchIntervalMs: number;
  /** The time before the first batch; batch times are zeroTime + k * batchIntervalMs. */
  readonly zeroTime: number;
  /** Adds a stream to the graph and returns its id (creation order, stable across restarts). */
  register(stream: DStream<unknown>): number;
  addOutput(stream: DStream<unknown>, kind: string, run: OutputFn<unknown>): void;
}

export type OutputFn<T> = (records: readonly T[], time: number) => void | Promise<void>;

/**
 * How one DStream computes its batch for a time, after Spark's DStream.compute. A stream returns the
 * records of a time it is valid at (a multiple of its slide after zeroTime), undefined otherwise.
 */
export interface StreamOperator<T> {
  /** The operation, for errors and reports (`map`, `reduceByKeyAndWindow`). */
  readonly kind: string;
  readonly slideMs: number;
  compute(time: number): readonly T[] | undefined;
  /**
   * Computed at every valid time even when no output reads it: input streams (their blocks must be
   * taken in order) and streams that carry state from batch to batch.
   */
  readonly everyBatch?: boolean;
  /** The state a checkpoint keeps (JSON-able through ./codec.ts), and its restoration. */
  save?(): unknown;
  restore?(saved: unknown): void;
}

export type Pair<K, V> = readonly [K, V];

/**
 * A discretized stream: one array of records per batch time. Transformations return new DStreams;
 * nothing runs until an output operation is registered and the context started. Records move as
 * arrays (one per batch), never one promise per record. A batch array handed to user code is shared
 * with the other streams that read it: read it, do not change it.
 */
export class DStream<T> {
  readonly id: number;
  readonly graph: StreamGraph;
  private readonly op: StreamOperator<T>;
  private readonly generated = new Map<number, readonly T[]>();
  private rememberMs = 0;

  constructor(graph: StreamGraph, op: StreamOperator<T>) {
    this.graph = graph;
    this.op = op;
    this.id = graph.register(this as DStream<unknown>);
  }

  get kind(): string {
    return this.op.kind;
  }

  /** The interval between two batches of this stream (the batch interval, or a window's slide). */
  get slideMs(): number {
    return this.op.slideMs;
  }

  /** @internal The context computes these at every batch. */
  get everyBatch(): boolean {
    return this.op.everyBatch === true || this.rememberMs > 0;
  }

  /** @internal Keeps generated batches for `ms` after their time (a window over this stream reads them). */
  rememberAtLeast(ms: number): void {
    if (ms > this.rememberMs) this.rememberMs = ms;
  }

  /** @internal */
  isTimeValid(time: number): boolean {
    const since = time - this.graph.zeroTime;
    return since > 0 && since % this.op.slideMs === 0;
  }

  /** @internal The records of `time`, computed once and kept while a window may read them. */
  getOrCompute(time: number): readonly T[] | undefined {
    const hit = this.generated.get(time);
    if (hit !== undefined) return hit;
    if (!this.isTimeValid(time)) return undefined;
    const out = this.op.compute(time);
    if (out !== undefined) this.generated.set(time, out);
    return out;
  }

  /** @internal Forgets the batches no window reads after `time`. */
  clearOld(time: number): void {
    const keepAfter = time - this.rememberMs;
    for (const t of this.generated.keys()) if (t <= keepAfter) this.generated.delete(t);
  }

  /** @internal What a checkpoint keeps of this stream: the batches windows still read, and its state. */
  checkpointData(time: number): StreamCheckpoint | undefined {
    const cache: [number, readonly T[]][] = [];
    if (this.rememberMs > 0)
      for (const [t, records] of this.generated)
        if (t > time - this.rememberMs && t <= time) cache.push([t, records]);
    const state = this.op.save?.();
    if (cache.length === 0 && state === undefined) return undefined;
    return { id: this.id, kind: this.op.kind, cache, state };
  }

  /** @internal */
  restoreCheckpoint(data: StreamCheckpoint): void {
    for (const [t, records] of data.cache) this.generated.set(t, records as readonly T[]);
    if (data.state !== undefined) this.op.restore?.(data.state);
  }

  /** A stream whose batch is `f(batch, time)` at every time this stream has a batch. */
  protected derive<U>(kind: string, f: (records: readonly T[], time: number) => readonly U[]): DStream<U> {
    return new DStream<U>(this.graph, {
      kind,
      slideMs: this.slideMs,
      compute: (time) => {
        const records = this.getOrCompute(time);
        return records === undefined ? undefined : f(records, time);
      },
    });
  }

  // ---- transformations ---------------------------------------------------------------------------

  map<U>(f: (record: T) => U): DStream<U> {
    return this.derive('map', (records) => {
      const out = new Array<U>(records.length);
      for (let i = 0; i < records.length; i++) out[i] = f(records[i]!);
      return out;
    });
  }

  flatMap<U>(f: (record: T) => Iterable<U>): DStream<U> {
    return this.derive('flatMap', (records) => {
      const out: U[] = [];
      for (let i = 0; i < records.length; i++) {
        const many = f(records[i]!);
        if (Array.isArray(many)) for (let j = 0; j < many.length; j++) out.push(many[j] as U);
        else for (const u of many) out.push(u);
      }
      return out;
    });
  }

  /** The records `f` keeps; a type guard narrows the stream's type. */
  filter<S extends T>(f: (record: T) => record is S): DStream<S>;
  filter(f: (record: T) => boolean): DStream<T>;
  filter(f: (record: T) => boolean): DStream<T> {
    return this.derive('filter', (records) => {
      const out: T[] = [];
      for (let i = 0; i < records.length; i++) if (f(records[i]!)) out.push(records[i]!);
      return out;
    });
  }

  /** `f` gets the whole batch (one partition: Sluice runs a batch in one process) and returns its records. */
  mapPartitions<U>(f: (records: readonly T[]) => Iterable<U>): DStream<U> {
    return this.derive('mapPartitions', (records) => {
      const out = f(records);
      return Array.isArray(out) ? (out as readonly U[]) : [...out];
    });
  }

  /** `f` turns each batch (and its time) into another batch, as Spark's `transform(rdd => ...)`. */
  transform<U>(f: (records: readonly T[], time: number) => readonly U[]): DStream<U> {
    return this.derive('transform', f);
  }

  /** The records of this stream and of `others` in one stream; all must have the same slide. */
  union(...others: DStream<T>[]): DStream<T> {
    const all = [this as DStream<T>, ...others];
    for (const o of others) sameSlide('union', this, o);
    return new DStream<T>(this.graph, {
      kind: 'union',
      slideMs: this.slideMs,
      compute: (time) => {
        const parts: (readonly T[])[] = [];
        for (const s of all) {
          const r = s.getOrCompute(time);
          if (r !== undefined && r.length > 0) parts.push(r);
        }
        return parts.length === 1 ? parts[0]! : (parts.flat() as T[]);
      },
    });
  }

  /** One record per batch: how many records it has (0 for an empty batch). */
  count(): DStream<number> {
    return this.derive('count', (records) => [records.length]);
  }

  /** `[value, count]` for each distinct record of the batch (records compared as Map keys). */
  countByValue(): DStream<[T, number]> {
    return this.derive('countByValue', (records) => {
      const counts = new Map<T, number>();
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        counts.set(r, (counts.get(r) ?? 0) + 1);
      }
      return [...counts];
    });
  }

  /** One record per non-empty batch: its records combined by `f` in order. */
  reduce(f: (a: T, b: T) => T): DStream<T> {
    return this.derive('reduce', (records) => {
      if (records.length === 0) return [];
      let acc: T = records[0] as T;
      for (let i = 1; i < records.length; i++) acc = f(acc, records[i] as T);
      return [acc];
    });
  }

  /**
   * Every record of the last `windowMs`, every `slideMs` (default: this stream's slide). Both must be
   * multiples of this stream's slide (the batch interval for an input): otherwise a SLUICE_STREAMING error.
   */
  window(windowMs: number, slideMs: number = this.slideMs): DStream<T> {
    return new DStream<T>(this.graph, windowOperator(this, windowMs, slideMs));
  }

  /** How many records the window holds (0 when it is empty), every slide. */
  countByWindow(windowMs: number, slideMs: number = this.slideMs): DStream<number> {
    return this.map(() => 1)
      .reduceByWindow(add, subtract, windowMs, slideMs)
      .transform((r) => (r.length === 0 ? [0] : r));
  }

  /**
   * The window's records combined by `reduce`, one record per non-empty window. With `inverse` the
   * window is updated incrementally (the batches that leave are taken out with `inverse`) with the same
   * results.
   */
  reduceByWindow(reduce: (a: T, b: T) => T, windowMs: number, slideMs?: number): DStream<T>;
  reduceByWindow(
    reduce: (a: T, b: T) => T,
    inverse: (a: T, b: T) => T,
    windowMs: number,
    slideMs?: number,
  ): DStream<T>;
  reduceByWindow(
    reduce: (a: T, b: T) => T,
    inverseOrWindow: ((a: T, b: T) => T) | number,
    windowOrSlide?: number,
    slide?: number,
  ): DStream<T> {
    if (typeof inverseOrWindow === 'number') {
      const slideMs = windowOrSlide ?? this.slideMs;
      return this.reduce(reduce).window(inverseOrWindow, slideMs).reduce(reduce);
    }
    const windowMs = requireDuration('reduceByWindow', 'windowMs', windowOrSlide);
    return this.map((r): [0, T] => [0, r])
      .reduceByKeyAndWindow(reduce, inverseOrWindow, windowMs, slide ?? this.slideMs)
      .map((p) => p[1]);
  }

  /** `[value, count]` over the window for each distinct record, every slide (counted incrementally). */
  countByValueAndWindow(windowMs: number, slideMs: number = this.slideMs): DStream<[T, number]> {
    return this.map((r): [T, number] => [r, 1]).reduceByKeyAndWindow(add, subtract, windowMs, slideMs);
  }

  // ---- pair operations (on DStream<[K, V]>) -----------------------------------------------------

  /** Values of each key of the batch combined by `f` (keys compared as Map keys). */
  reduceByKey<K, V>(this: DStream<Pair<K, V>>, f: (a: V, b: V) => V): DStream<[K, V]> {
    return this.derive('reduceByKey', (records) => reduceByKeyInto(new Map<K, V>(), records, f));
  }

  groupByKey<K, V>(this: DStream<Pair<K, V>>): DStream<[K, V[]]> {
    return this.derive('groupByKey', (records) => {
      const groups = new Map<K, V[]>();
      for (let i = 0; i < records.length; i++) {
        const [k, v] = records[i]!;
        const g = groups.get(k);
        if (g === undefined) groups.set(k, [v]);
        else g.push(v);
      }
      return [...groups];
    });
  }

  mapValues<K, V, W>(this: DStream<Pair<K, V>>, f: (value: V) => W): DStream<[K, W]> {
    return this.map((p): [K, W] => [p[0], f(p[1])]);
  }

  /** Pairs of the same key in both streams' batches of the same time: `[k, [v, w]]` for each couple. */
  join<K, V, W>(this: DStream<Pair<K, V>>, other: DStream<Pair<K, W>>): DStream<[K, [V, W]]> {
    return this.pairWith('join', other, (a, b) => joinBatches(a, b));
  }

  leftOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
  ): DStream<[K, [V, W | undefined]]> {
    return this.pairWith('leftOuterJoin', other, (a, b) => leftOuterJoinBatches(a, b));
  }

  rightOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
  ): DStream<[K, [V | undefined, W]]> {
    return other
      .pairWith('rightOuterJoin', this, (a, b) => leftOuterJoinBatches(a, b))
      .map((p): [K, [V | undefined, W]] => [p[0], [p[1][1], p[1][0]]]);
  }

  fullOuterJoin<K, V, W>(
    this: DStream<Pair<K, V>>,
    other: DStream<Pair<K, W>>,
  ): DStream<[K, [V | undefined, W | undefined]]> {
    return this.pairWith('fullOuterJoin', other, (a, b) => fullOuterJoinBatches(a, b));
  }

  /** `[k, [values here, values there]]` for every key of either batch. */
  cogroup<K, V, W>(this: DStream<Pair<K, V>>, other: DStream<Pair<K, W>>): DStream<[K, [V[], W[]]]> {
    return this.pairWith('cogroup', other, (a, b) => cogroupBatches(a, b));
  }

  /**
   * Values of each key over the window combined by `reduce`, every slide. With `inverse`, each slide
   * adds the batches that entered and takes out (with `inverse`) those that left instead of reducing
   * the whole window again; a key no batch of the window holds any more is dropped, so the results are
   * exactly the plain reduce's. `filter` drops keys from the kept state too (as Spark's filterFunc).
   */
  reduceByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    reduce: (a: V, b: V) => V,
    windowMs: number,
    slideMs?: number,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    reduce: (a: V, b: V) => V,
    inverse: (a: V, b: V) => V,
    windowMs: number,
    slideMs?: number,
    filter?: (pair: Pair<K, V>) => boolean,
  ): DStream<[K, V]>;
  reduceByKeyAndWindow<K, V>(
    this: DStream<Pair<K, V>>,
    reduce: (a: V, b: V) => V,
    inverseOrWindow: ((a: V, b: V) => V) | number,
    windowOrSlide?: number,
    slide?: number,
    filter?: (pair: Pair<K, V>) => boolean,
  ): DStream<[K, V]> {
    if (typeof inverseOrWindow === 'number') {
      return this.reduceByKey(reduce)
        .window(inverseOrWindow, windowOrSlide ?? this.slideMs)
        .reduceByKey(reduce);
    }
    const windowMs = requireDuration('reduceByKeyAndWindow', 'windowMs', windowOrSlide);
    const reduced = this.reduceByKey(reduce);
    return new DStream<[K, V]>(
      this.graph,
      reduceByKeyAndWindowInverse(reduced, reduce, inverseOrWindow, windowMs, slide ?? this.slideMs, filter),
    );
  }

  /**
   * Keeps a state per key across batches: `update(values of the batch, previous state)` runs for every
   * key that has values or state; undefined removes the key. Emits every `[key, state]` each batch.
   */
  updateStateByKey<K, V, S>(
    this: DStream<Pair<K, V>>,
    update: (values: V[], state: S | undefined) => S | undefined,
  ): DStream<[K, S]> {
    return new DStream<[K, S]>(this.graph, updateStateOperator(this, update));
  }

  /**
   * Spark's mapWithState: the spec's function sees each record with its key's state and returns what
   * the stream emits (undefined emits nothing). With a timeout, a key without records for that long is
   * shown once more with `state.isTimingOut()` and removed. `stateSnapshots()` on the result emits
   * every `[key, state]` after each batch.
   */
  mapWithState<K, V, S, U>(
    this: DStream<Pair<K, V>>,
    spec: StateSpec<K, V, S, U>,
  ): MapWithStateDStream<K, S, U> {
    const op = mapWithStateOperator(this, spec);
    const states = new DStream<{ mapped: U[]; snapshot: () => [K, S][] }>(this.graph, op);
    return new MapWithStateDStream<K, S, U>(states);
  }

  // ---- outputs -----------------------------------------------------------------------------------

  /** Runs `f` on every batch (awaited before the next batch starts), as Spark's foreachRDD. */
  foreachRDD(f: OutputFn<T>): void {
    this.graph.addOutput(this as DStream<unknown>, 'foreachRDD', f as OutputFn<unknown>);
  }

  /** Prints the first `n` records of every batch under a `Time: <ms> ms` header, as Spark does. */
  print(n = 10, write: (text: string) => void = (t) => process.stdout.write(t)): void {
    this.graph.addOutput(this as DStream<unknown>, 'print', (records, time) =>
      write(formatBatch(records, time, n)),
    );
  }

  /**
   * Writes every batch as a directory `<prefix>-<time>[.<suffix>]` holding `part-00000` (one line per
   * record) and `_SUCCESS`, renamed into place complete.
   */
  saveAsTextFiles(prefix: string, suffix?: string): void {
    this.graph.addOutput(this as DStream<unknown>, 'saveAsTextFiles', (records, time) =>
      saveTextFiles(prefix, suffix, records, time),
    );
  }

  private pairWith<B, R>(
    kind: string,
    other: DStream<B>,
    f: (a: readonly T[], b: readonly B[]) => R[],
  ): DStream<R> {
    sameSlide(kind, this, other);
    return new DStream<R>(this.graph, {
      kind,
      slideMs: this.slideMs,
      compute: (time) => {
        const a = this.getOrCompute(time);
        const b = other.getOrCompute(time);
        if (a === undefined && b === undefined) return undefined;
        return f(a ?? [], b ?? []);
      },
    });
  }
}

/** The stream mapWithState returns: the mapped records, and the states on demand. */
export class MapWithStateDStream<K, S, U> extends DStream<U> {
  private readonly states: DStream<{ mapped: U[]; snapshot: () => [K, S][] }>;

  constructor(states: DStream<{ mapped: U[]; snapshot: () => [K, S][] }>) {
    super(states.graph, {
      kind: 'mapWithState',
      slideMs: states.slideMs,
      compute: (time) => states.getOrCompute(time)?.[0]?.mapped,
    });
    this.states = states;
  }

  /** Every `[key, state]` after each batch. */
  stateSnapshots(): DStream<[K, S]> {
    return new DStream<[K, S]>(this.graph, {
      kind: 'stateSnapshots',
      slideMs: this.slideMs,
      compute: (time) => this.states.getOrCompute(time)?.[0]?.snapshot(),
    });
  }
}

/** What a checkpoint keeps of one stream. */
export interface StreamCheckpoint {
  id: number;
  kind: string;
  cache: [number, readonly unknown[]][];
  state: unknown;
}

export function reduceByKeyInto<K, V>(
  acc: Map<K, V>,
  records: readonly Pair<K, V>[],
  f: (a: V, b: V) => V,
): [K, V][] {
  for (let i = 0; i < records.length; i++) {
    const [k, v] = records[i]!;
    const prev = acc.get(k);
    acc.set(k, prev === undefined && !acc.has(k) ? v : f(prev as V, v));
  }
  return [...acc];
}

function sameSlide(kind: string, a: DStream<unknown>, b: DStream<unknown>): void {
  if (a.graph !== b.graph)
    throw new SluiceError(
      'SLUICE_STREAMING',
      `${kind}: the two DStreams belong to different StreamingContexts`,
    );
  if (a.slideMs !== b.slideMs)
    throw new SluiceError(
      'SLUICE_STREAMING',
      `${kind}: the DStreams have different slides (${a.slideMs} ms and ${b.slideMs} ms); window them alike first`,
    );
}

function requireDuration(kind: string, name: string, ms: number | undefined): number {
  if (ms === undefined)
    throw new SluiceError('SLUICE_STREAMING', `${kind}: ${name} is required`, { place: { field: name } });
  return ms;
}

const add = (a: number, b: number): number => a + b;
const subtract = (a: number, b: number): number => a - b;
