import type { Batch } from './event.js';

/**
 * What a source hears about one batch it handed downstream: the batch is safe where the pipeline says
 * it is (an agent: the put into every channel committed; a logical node: the sink tree accepted the
 * append), or it failed (a rollback, a sink error) and the source decides what to do: read it again,
 * answer its sender with an error. docs/acks.md is the contract; [reliability]'s ack groups and
 * [streaming]'s receivers extend it by settling later (when a collector made the batch durable).
 *
 * Rules every holder keeps:
 * - An ack settles once. The first `ok()` or `fail()` wins; later calls are ignored, so a runner that
 *   settles on every path (including a stop) never has to know whether someone settled first.
 * - Whoever takes a batch with an ack from a source settles it, on every path: delivered, failed,
 *   dropped by a filter (ok: nothing left to deliver), or abandoned at a stop (failed).
 * - A batch split into parts (a Rebatch slicing it, a fan-out) gives each part its own ack from
 *   `split(n)`: the whole settles ok when every part is ok, failed as soon as one part fails.
 *
 * It is cheap by design: one object per batch, created only by sources that want to hear back (a batch
 * without an ack costs the runners one WeakMap lookup and no write), listeners called synchronously, and a promise
 * only for a holder that asks for one (`settled()`).
 */
export type AckListener = (error: Error | undefined) => void;

const PENDING = 0;
const OK = 1;
const FAILED = 2;

export class Ack {
  private state: typeof PENDING | typeof OK | typeof FAILED = PENDING;
  private failure: Error | undefined;
  private listener: AckListener | undefined;
  private others: AckListener[] | undefined;

  constructor(listener?: AckListener) {
    this.listener = listener;
  }

  get isSettled(): boolean {
    return this.state !== PENDING;
  }

  /** True once settled ok. */
  get isOk(): boolean {
    return this.state === OK;
  }

  /** The failure, once settled failed. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** The batch is safe; false when the ack had already settled (nothing happened). */
  ok(): boolean {
    if (this.state !== PENDING) return false;
    this.state = OK;
    this.notify();
    return true;
  }

  /** The batch was not delivered; false when the ack had already settled. */
  fail(error: Error): boolean {
    if (this.state !== PENDING) return false;
    this.state = FAILED;
    this.failure = error;
    this.notify();
    return true;
  }

  /** Calls `listener` once when the ack settles (at once if it has). */
  onSettle(listener: AckListener): void {
    if (this.state !== PENDING) listener(this.failure);
    else if (this.listener === undefined) this.listener = listener;
    else (this.others ??= []).push(listener);
  }

  /** For holders that await: resolves with undefined (ok) or the failure; never rejects. */
  settled(): Promise<Error | undefined> {
    return new Promise((resolve) => this.onSettle(resolve));
  }

  /**
   * Acks for `n` parts of this batch: this one settles ok when all of them are ok, failed with the
   * first part's failure. A part settled after a sibling failed changes nothing.
   */
  split(n: number): Ack[] {
    let left = n;
    const part: AckListener = (error) => {
      if (error !== undefined) this.fail(error);
      else if (--left === 0) this.ok();
    };
    const parts = new Array<Ack>(n);
    for (let i = 0; i < n; i++) parts[i] = new Ack(part);
    if (n === 0) this.ok();
    return parts;
  }

  private notify(): void {
    const first = this.listener;
    const others = this.others;
    this.listener = undefined;
    this.others = undefined;
    // Every listener runs even if one throws; the first exception goes to whoever settled the ack.
    let thrown: unknown;
    let threw = false;
    if (first !== undefined) {
      try {
        first(this.failure);
      } catch (e) {
        thrown = e;
        threw = true;
      }
    }
    if (others !== undefined) {
      for (const l of others) {
        try {
          l(this.failure);
        } catch (e) {
          if (!threw) {
            thrown = e;
            threw = true;
          }
        }
      }
    }
    if (threw) throw thrown;
  }
}

/**
 * Which ack travels with which batch. A WeakMap rather than a property on the array: batches stay plain
 * arrays (one shape for V8 on every hot path), and a batch no runner keeps is collected with its ack.
 */
const acks = new WeakMap<Batch, Ack>();
/**
 * Batches a runner took with an ack (a sink further down learns which, see takenAck()). Batches taken
 * without one are not entered: a WeakMap write per batch (its ephemeron table grows with every batch
 * until a scavenge clears it) cost a fast pipeline more than all its other per-batch work together.
 */
const taken = new WeakMap<Batch, Ack>();
/**
 * The batch taken last without an ack. A runner hands the batch it took to its sink tree in the same
 * turn, so a sink asking about the array it was given finds it here; an array some other runner's
 * take displaced (an asynchronous decorator in between) answers "unknown", which every caller already
 * treats as "may depend on an ack". Keeps at most that one batch alive, until its runner releases it.
 */
let takenBare: Batch | undefined;

/** Hands `batch` downstream with `ack`; returns the batch, so a source writes `return withAck(b, ack)`. */
export function withAck<B extends Batch>(batch: B, ack: Ack): B {
  acks.set(batch, ack);
  return batch;
}

/** Shorthand for the common case: a new ack whose settling calls `listener`, attached to `batch`. */
export function acked<B extends Batch>(batch: B, listener: AckListener): B {
  acks.set(batch, new Ack(listener));
  return batch;
}

/** The ack a source attached to `batch`, if any (and forgets it: a batch is taken once). */
export function takeAck(batch: Batch): Ack | undefined {
  const a = acks.get(batch);
  if (a === undefined) {
    takenBare = batch;
    return undefined;
  }
  acks.delete(batch);
  taken.set(batch, a);
  if (takenBare === batch) takenBare = undefined;
  return a;
}

/**
 * What a runner took with `batch`: its ack, null when its source attached none, undefined when no
 * runner took this array (a decorator made it: whether an ack depends on it is unknown) or another
 * take displaced it (see takenBare). A sink that
 * could make a batch safe after its append returned (a write-ahead log syncing several batches at
 * once) may do so for null only: an ack settles ok as soon as the append returns.
 */
export function takenAck(batch: Batch): Ack | null | undefined {
  if (batch === takenBare) return null;
  return taken.get(batch);
}

/**
 * A runner done with `batch` (its sink tree or channels returned) lets it go: kept as takenBare, it
 * would survive the scavenges that run while the source makes the next batch.
 */
export function releaseTaken(batch: Batch): void {
  if (batch === takenBare) takenBare = undefined;
}

/** The ack attached to `batch`, left attached. */
export function ackOf(batch: Batch): Ack | undefined {
  return acks.get(batch);
}
