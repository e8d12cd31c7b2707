import type { Batch, Event } from '../core/event.js';

/**
 * What a queued event costs beyond its received bytes: the Event object, its attribute array and the
 * body view, rounded up. Charging it keeps a flood of tiny messages bounded too.
 */
export const EVENT_OVERHEAD = 256;

export interface BoundedQueueOptions {
  /** Events queued at which the queue is full. */
  maxEvents: number;
  /** Bytes (received bytes plus EVENT_OVERHEAD per event) at which the queue is full. */
  maxBytes: number;
  /** Most events one next() hands out. */
  maxBatch: number;
  /** The queue became full: a TCP source stops reading its sockets. */
  onFull?: (() => void) | undefined;
  /** It has drained to half of both bounds since: reading resumes (half, so one batch does not flip it). */
  onRoom?: (() => void) | undefined;
  /** Sees every batch as it is handed out (a source attaches its ack). */
  onTake?: ((b: Batch) => Batch) | undefined;
}

/**
 * Events of the network line sources (syslog, netcat) waiting for next(), bounded in events and in
 * bytes. Batches are kept as the sockets delivered them: small ones are merged up to maxBatch, large
 * ones cut into batches of maxBatch, so a batch costs one array, not one per event. A UDP source,
 * which cannot slow its senders down, looks at `full` and drops instead.
 */
export class BoundedQueue {
  private ready: Batch[] = [];
  private readyBytes: number[] = [];
  private queued = 0;
  private bytes = 0;
  private waiter: ((b: Batch | null) => void) | null = null;
  /** The pending next()'s promise: asked again meanwhile, next() answers with it (pipeline.ts). */
  private waiting: Promise<Batch | null> | null = null;
  private done = false;
  full = false;

  constructor(private readonly opts: BoundedQueueOptions) {}

  /** Events waiting. */
  get size(): number {
    return this.queued;
  }

  /** Bytes held (received bytes plus the per-event overhead). */
  get byteSize(): number {
    return this.bytes;
  }

  /** Queues `events`, which the caller hands over (a small batch may grow by later ones). */
  put(events: Event[], received: number): void {
    const n = events.length;
    if (n === 0 || this.done) return;
    const cost = received + n * EVENT_OVERHEAD;
    const max = this.opts.maxBatch;
    if (n <= max) this.append(events, cost);
    else {
      let charged = 0;
      for (let at = 0; at < n; at += max) {
        const end = Math.min(n, at + max);
        const c = end === n ? cost - charged : Math.floor((cost * (end - at)) / n);
        charged += c;
        this.append(events.slice(at, end), c);
      }
    }
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      this.waiting = null;
      w(this.shift());
    }
    if (!this.full && (this.queued >= this.opts.maxEvents || this.bytes >= this.opts.maxBytes)) {
      this.full = true;
      this.opts.onFull?.();
    }
  }

  next(): Batch | null | Promise<Batch | null> {
    const b = this.shift();
    if (b !== null || this.done) return b;
    this.waiting ??= new Promise((resolve) => {
      this.waiter = resolve;
    });
    return this.waiting;
  }

  /** No more input: next() drains what is queued, then returns null. */
  finish(): void {
    this.done = true;
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      this.waiting = null;
      w(null);
    }
  }

  /** Drops everything: a pending next() and all later ones return null. */
  clear(): void {
    this.ready = [];
    this.readyBytes = [];
    this.queued = 0;
    this.bytes = 0;
    this.finish();
  }

  private append(events: Event[], cost: number): void {
    const i = this.ready.length - 1;
    const last = i >= 0 ? this.ready[i]! : undefined;
    if (last !== undefined && last.length + events.length <= this.opts.maxBatch && events.length < 64) {
      for (let k = 0; k < events.length; k++) last.push(events[k]!);
      this.readyBytes[i]! += cost;
    } else {
      this.ready.push(events);
      this.readyBytes.push(cost);
    }
    this.queued += events.length;
    this.bytes += cost;
  }

  private shift(): Batch | null {
    if (this.ready.length === 0) return null;
    const b = this.ready.shift()!;
    this.queued -= b.length;
    this.bytes -= this.readyBytes.shift()!;
    if (this.full && this.queued <= this.opts.maxEvents >> 1 && this.bytes <= this.opts.maxBytes / 2) {
      this.full = false;
      this.opts.onRoom?.();
    }
    return this.opts.onTake ? this.opts.onTake(b) : b;
  }
}
