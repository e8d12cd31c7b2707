import type { Batch } from '../core/event.js';
import type { EventSink, SinkCounts } from '../core/pipeline.js';
import { ComponentMeter } from './report.js';

/** What became of the events one sink of a node was given (all its instances, over every roll). */
export interface SinkTotals extends SinkCounts {
  /** The sink as the summary names it: its catalog name, with its place when the name repeats. */
  name: string;
  /** Events of appends that failed (the node dropped those batches and went on). */
  failed: number;
}

/** The totals of every catalog sink of one running node, in spec order. */
export class SinkTally {
  private readonly byKey = new Map<string, SinkTotals>();
  private readonly meters = new Map<string, ComponentMeter>();

  /** The totals of the sink written at `key` (its place in the spec); created on first use. */
  entry(key: string, name: string): SinkTotals {
    let t = this.byKey.get(key);
    if (!t) {
      t = { name, delivered: 0, dropped: 0, retried: 0, failed: 0 };
      this.byKey.set(key, t);
      this.meters.set(key, new ComponentMeter('sink', name, name));
    }
    return t;
  }

  /** The report counters of the sink written at `key` (created with its totals). */
  meter(key: string): ComponentMeter | undefined {
    return this.meters.get(key);
  }

  /** Every sink's meter, named as `list()` names its totals. */
  meterList(): { name: string; meter: ComponentMeter }[] {
    const names = this.list().map((t) => t.name);
    return [...this.meters.values()].map((meter, i) => ({ name: names[i]!, meter }));
  }

  list(): SinkTotals[] {
    const all = [...this.byKey.entries()];
    const seen = new Map<string, number>();
    for (const [, t] of all) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    return all.map(([key, t]) => ((seen.get(t.name) ?? 0) > 1 ? { ...t, name: `${t.name}@${key}` } : t));
  }
}

/**
 * Counts what one catalog sink accepted and failed, for the drain and stop summaries. A sink that
 * reports its own counts (a best-effort sink accepts batches it may drop later) is believed instead of
 * its appends, once it is closed.
 */
export class CountedSink implements EventSink {
  private readonly selfCounting: boolean;
  /** The inner counts already added to the totals (a sink may be closed and reopened, as failover does). */
  private readonly folded: SinkCounts = { delivered: 0, dropped: 0, retried: 0 };

  constructor(
    readonly inner: EventSink,
    private readonly totals: SinkTotals,
    /** Report counters: one latency bucket per batch, from append to acceptance. */
    private readonly meter?: ComponentMeter,
  ) {
    this.selfCounting = typeof inner.counts === 'function';
    if (this.selfCounting && meter) {
      // Live: what earlier instances (folded at their close) and this one dropped.
      meter.droppedSoFar = () => this.totals.dropped + (this.inner.counts!().dropped - this.folded.dropped);
    }
    if (meter && typeof inner.reliability === 'function') meter.figures = () => inner.reliability!();
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  append(batch: Batch): void | Promise<void> {
    const n = batch.length;
    const m = this.meter;
    m?.received(batch);
    const t0 = m ? performance.now() : 0;
    let r: void | Promise<void>;
    try {
      r = this.inner.append(batch);
    } catch (e) {
      this.totals.failed += n;
      m?.failed(e);
      throw e;
    }
    if (!r) {
      if (!this.selfCounting) this.totals.delivered += n;
      m?.delivered(n, performance.now() - t0);
      return;
    }
    return r.then(
      () => {
        if (!this.selfCounting) this.totals.delivered += n;
        m?.delivered(n, performance.now() - t0);
      },
      (e: unknown) => {
        this.totals.failed += n;
        m?.failed(e);
        throw e;
      },
    );
  }

  flush(): Promise<void> {
    return this.inner.flush ? this.inner.flush() : Promise.resolve();
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      const c = this.inner.counts?.();
      if (c) {
        const f = this.folded;
        this.totals.delivered += c.delivered - f.delivered;
        this.totals.dropped += c.dropped - f.dropped;
        this.totals.retried += c.retried - f.retried;
        Object.assign(f, c);
      }
    }
  }
}
