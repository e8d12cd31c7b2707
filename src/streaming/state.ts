import { SluiceError } from '../core/errors.js';
import type { DStream, Pair, StreamOperator } from './dstream.js';

/**
 * State kept per key from batch to batch: updateStateByKey and mapWithState. Both are computed at every
 * batch (`everyBatch`), in order, and checkpointed with the context.
 */

export function updateStateOperator<K, V, S>(
  parent: DStream<Pair<K, V>>,
  update: (values: V[], state: S | undefined) => S | undefined,
): StreamOperator<[K, S]> {
  let states = new Map<K, S>();
  return {
    kind: 'updateStateByKey',
    slideMs: parent.slideMs,
    everyBatch: true,
    compute(time) {
      const records = parent.getOrCompute(time) ?? [];
      const batch = new Map<K, V[]>();
      for (let i = 0; i < records.length; i++) {
        const [k, v] = records[i]!;
        const g = batch.get(k);
        if (g === undefined) batch.set(k, [v]);
        else g.push(v);
      }
      const next = new Map<K, S>();
      for (const [k, s] of states) {
        const n = update(batch.get(k) ?? [], s);
        if (n !== undefined) next.set(k, n);
      }
      for (const [k, vs] of batch) {
        if (states.has(k)) continue;
        const n = update(vs, undefined);
        if (n !== undefined) next.set(k, n);
      }
      states = next;
      return [...next];
    },
    save: () => [...states],
    restore(saved) {
      states = new Map(saved as [K, S][]);
    },
  };
}

/** A key's state as mapWithState's function sees it, after Spark's State. */
export class State<S> {
  private value: S | undefined;
  private present = false;
  private updated = false;
  private removed = false;
  private timingOut = false;

  /** @internal */
  wrap(value: S | undefined, present: boolean, timingOut: boolean): this {
    this.value = value;
    this.present = present;
    this.updated = false;
    this.removed = false;
    this.timingOut = timingOut;
    return this;
  }

  exists(): boolean {
    return this.present;
  }

  /** The state; a SLUICE_STREAMING error when there is none (check `exists()` or use `getOption()`). */
  get(): S {
    if (!this.present)
      throw new SluiceError('SLUICE_STREAMING', 'mapWithState: State.get() on a key without state');
    return this.value as S;
  }

  getOption(): S | undefined {
    return this.present ? this.value : undefined;
  }

  update(value: S): void {
    if (this.timingOut)
      throw new SluiceError('SLUICE_STREAMING', 'mapWithState: a state that is timing out cannot be updated');
    if (this.removed)
      throw new SluiceError('SLUICE_STREAMING', 'mapWithState: the state was removed in this call');
    this.value = value;
    this.present = true;
    this.updated = true;
  }

  remove(): void {
    if (this.timingOut)
      throw new SluiceError('SLUICE_STREAMING', 'mapWithState: a state that is timing out is removed anyway');
    this.present = false;
    this.removed = true;
    this.value = undefined;
  }

  /** True in the last call for a key that had no records for the spec's timeout: its state goes after it. */
  isTimingOut(): boolean {
    return this.timingOut;
  }

  /** @internal */
  get isUpdated(): boolean {
    return this.updated;
  }

  /** @internal */
  get isRemoved(): boolean {
    return this.removed;
  }
}

export type MappingFunction<K, V, S, U> = (key: K, value: V | undefined, state: State<S>) => U | undefined;

/** What mapWithState does, after Spark's StateSpec: `StateSpec.function(f).timeout(ms).initialState(pairs)`. */
export class StateSpec<K, V, S, U> {
  readonly mapping: MappingFunction<K, V, S, U>;
  timeoutMs: number | undefined;
  initial: readonly Pair<K, S>[] = [];

  private constructor(mapping: MappingFunction<K, V, S, U>) {
    this.mapping = mapping;
  }

  static function<K, V, S, U>(mapping: MappingFunction<K, V, S, U>): StateSpec<K, V, S, U> {
    return new StateSpec(mapping);
  }

  /** A key without records for `ms` times out: its function is called once more, then its state removed. */
  timeout(ms: number): this {
    if (!Number.isInteger(ms) || ms <= 0)
      throw new SluiceError(
        'SLUICE_STREAMING',
        `StateSpec.timeout: a positive whole number of ms, got ${ms}`,
      );
    this.timeoutMs = ms;
    return this;
  }

  initialState(pairs: readonly Pair<K, S>[]): this {
    this.initial = pairs;
    return this;
  }
}

interface KeyState<S> {
  state: S;
  /** The batch time of the last update (or record, with a timeout). */
  at: number;
}

export function mapWithStateOperator<K, V, S, U>(
  parent: DStream<Pair<K, V>>,
  spec: StateSpec<K, V, S, U>,
): StreamOperator<{ mapped: U[]; snapshot: () => [K, S][] }> {
  let states = new Map<K, KeyState<S>>();
  let started = false;
  const wrapper = new State<S>();
  const timeout = spec.timeoutMs;
  const snapshot = (): [K, S][] => {
    const out: [K, S][] = [];
    for (const [k, s] of states) out.push([k, s.state]);
    return out;
  };
  return {
    kind: 'mapWithState',
    slideMs: parent.slideMs,
    everyBatch: true,
    compute(time) {
      if (!started) {
        started = true;
        for (const [k, s] of spec.initial) if (!states.has(k)) states.set(k, { state: s, at: time });
      }
      const mapped: U[] = [];
      const records = parent.getOrCompute(time) ?? [];
      for (let i = 0; i < records.length; i++) {
        const [k, v] = records[i]!;
        const cur = states.get(k);
        wrapper.wrap(cur?.state, cur !== undefined, false);
        const out = spec.mapping(k, v, wrapper);
        if (out !== undefined) mapped.push(out);
        if (wrapper.isRemoved) states.delete(k);
        else if (wrapper.isUpdated || (wrapper.exists() && timeout !== undefined))
          // With a timeout a record keeps its key alive even when the function left the state alone.
          states.set(k, { state: wrapper.get(), at: time });
      }
      if (timeout !== undefined) {
        const threshold = time - timeout;
        for (const [k, s] of states) {
          if (s.at >= threshold) continue;
          const out = spec.mapping(k, undefined, wrapper.wrap(s.state, true, true));
          if (out !== undefined) mapped.push(out);
          states.delete(k);
        }
      }
      return [{ mapped, snapshot }];
    },
    save: () => ({ started, states: [...states] }),
    restore(saved) {
      const s = saved as { started: boolean; states: [K, KeyState<S>][] };
      started = s.started;
      states = new Map(s.states);
    },
  };
}
