import type { BuildContext, SinkDef } from '../../src/catalog/types.js';
import { SiteConfig } from '../../src/core/config.js';
import { SluiceError } from '../../src/core/errors.js';
import type { Batch } from '../../src/core/event.js';
import { Event } from '../../src/core/event.js';
import { memoryLogger } from '../../src/core/logger.js';
import type { EventSink } from '../../src/core/pipeline.js';

/**
 * Sink doubles for decorator and flow tests. They are real sinks (they keep what they get) with
 * counters for every lifecycle call and switches to misbehave in the ways real sinks do.
 */

export interface CollectingOptions {
  /** Make append answer with a promise (resolved on a later tick), like an I/O-bound sink. */
  async?: boolean;
}

/** Keeps every appended batch; counts open, close and flush; asserts the lifecycle is respected. */
export class CollectingSink implements EventSink {
  readonly batches: Batch[] = [];
  opens = 0;
  closes = 0;
  flushes = 0;
  isOpen = false;
  /** Appends seen while the sink was not open (a decorator that forgot to open its child). */
  appendsWhileClosed = 0;
  /** Appends that started while an earlier async append was still pending (backpressure ignored). */
  overlappingAppends = 0;
  protected pending = 0;

  constructor(protected readonly opts: CollectingOptions = {}) {}

  /** All events received, in order. */
  get events(): Event[] {
    return this.batches.flat();
  }

  /** The bodies received, as UTF-8 text. */
  bodies(): string[] {
    return this.events.map((e) => e.body.toString('utf8'));
  }

  get count(): number {
    let n = 0;
    for (const b of this.batches) n += b.length;
    return n;
  }

  open(): Promise<void> {
    this.opens++;
    this.isOpen = true;
    return Promise.resolve();
  }

  append(batch: Batch): void | Promise<void> {
    if (!this.isOpen) this.appendsWhileClosed++;
    if (this.pending > 0) this.overlappingAppends++;
    if (!this.opts.async) {
      this.batches.push(batch);
      return;
    }
    this.pending++;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.pending--;
        this.batches.push(batch);
        resolve();
      }),
    );
  }

  flush(): Promise<void> {
    this.flushes++;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closes++;
    this.isOpen = false;
    return Promise.resolve();
  }
}

export interface FailingOptions extends CollectingOptions {
  /** The first `failOpens` calls to open reject. */
  failOpens?: number;
  /** The first `failAppends` calls to append fail (and keep nothing). */
  failAppends?: number;
  /** Fail appends by throwing synchronously instead of rejecting. */
  throwSync?: boolean;
  /** Every close rejects (after marking the sink closed). */
  failCloses?: boolean;
  /** Every other append fails (the 1st, 3rd, 5th...), for ever: a flapping collector. */
  failEveryOther?: boolean;
}

/** A collecting sink that fails a set number of opens and appends, then works. */
export class FailingSink extends CollectingSink {
  openFailures = 0;
  appendFailures = 0;
  private readonly failing: FailingOptions;

  constructor(opts: FailingOptions = {}) {
    super(opts);
    this.failing = opts;
  }

  override open(): Promise<void> {
    this.opens++;
    if (this.openFailures < (this.failing.failOpens ?? 0)) {
      this.openFailures++;
      return Promise.reject(
        new SluiceError('SLUICE_IO', `open failure ${this.openFailures}`, { retriable: true }),
      );
    }
    this.isOpen = true;
    return Promise.resolve();
  }

  private appends = 0;

  override append(batch: Batch): void | Promise<void> {
    const flap = this.failing.failEveryOther === true && this.appends++ % 2 === 0;
    if (flap || this.appendFailures < (this.failing.failAppends ?? 0)) {
      this.appendFailures++;
      const err = new SluiceError('SLUICE_IO', `append failure ${this.appendFailures}`, { retriable: true });
      if (this.failing.throwSync) throw err;
      return Promise.reject(err);
    }
    return super.append(batch);
  }

  override close(): Promise<void> {
    const r = super.close();
    return this.failing.failCloses ? Promise.reject(new SluiceError('SLUICE_IO', 'close failure')) : r;
  }
}

/**
 * Holds every append until the test releases it: shows whether a caller waits (backpressure) and
 * what a decorator does while its child is slow.
 */
export class BackpressureSink extends CollectingSink {
  private waiters: Array<() => void> = [];
  /** Set when a held append is released: resolves the next `whenHeld()`. */
  private heldListeners: Array<() => void> = [];

  override append(batch: Batch): Promise<void> {
    if (!this.isOpen) this.appendsWhileClosed++;
    if (this.pending > 0) this.overlappingAppends++;
    this.pending++;
    const p = new Promise<void>((resolve) => {
      this.waiters.push(() => {
        this.pending--;
        this.batches.push(batch);
        resolve();
      });
    });
    for (const l of this.heldListeners.splice(0)) l();
    return p;
  }

  /** How many appends are waiting for `release`. */
  get held(): number {
    return this.waiters.length;
  }

  /** Resolves once at least one append is held (immediately when one already is). */
  whenHeld(): Promise<void> {
    if (this.waiters.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.heldListeners.push(resolve));
  }

  /** Lets the oldest `n` held appends complete. */
  release(n = 1): void {
    for (const w of this.waiters.splice(0, n)) w();
  }

  releaseAll(): void {
    this.release(this.waiters.length);
  }
}

/** A BuildContext for building components in tests, with a logger that keeps its lines. */
export function testContext(overrides: Partial<BuildContext> = {}): BuildContext & { logger: MemoryLogger } {
  return {
    config: SiteConfig.defaults(),
    nodeName: 'test',
    allowExec: false,
    logger: memoryLogger(),
    ...overrides,
  } as BuildContext & { logger: MemoryLogger };
}

type MemoryLogger = ReturnType<typeof memoryLogger>;

/** Events with bodies "<prefix>0" ... in one batch. */
export function makeBatch(n: number, prefix = 'e', from = 0): Batch {
  const out: Batch = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Event.of(`${prefix}${from + i}`);
  return out;
}

/**
 * A `collect(id)` sink for test catalogs: each build makes a CollectingSink, kept under its id in
 * build order (a pipeline rebuilt with the sink adds a second instance).
 */
export function collectSinkDef(): { def: SinkDef; built: Map<string, CollectingSink[]> } {
  const built = new Map<string, CollectingSink[]>();
  const def: SinkDef = {
    kind: 'sink',
    name: 'collect',
    docs: 'test',
    params: [{ name: 'id', type: 'string', docs: 'which collector' }],
    build(args) {
      const s = new CollectingSink({ async: true });
      const id = args.string('id');
      built.set(id, [...(built.get(id) ?? []), s]);
      return s;
    },
  };
  return { def, built };
}
