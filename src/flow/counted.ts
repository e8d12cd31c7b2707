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

/**
 * One catalog sink of a running node, over all its instances: its report meter, which also holds what
 * the summaries say (events delivered and failed), and the counts a sink that counts itself reported.
 */
export class TalliedSink {
  readonly meter: ComponentMeter;
  /** A sink that counts itself (a best-effort sink) is believed instead of its appends, once closed. */
  own: SinkCounts | undefined;

  constructor(readonly name: string) {
    this.meter = new ComponentMeter('sink', name, name);
  }

  totals(name = this.name): SinkTotals {
    const m = this.meter;
    const own = this.own;
    return {
      name,
      delivered: own ? own.delivered : m.eventsOut,
      dropped: own ? own.dropped : 0,
      retried: own ? own.retried : 0,
      failed: m.failedEvents,
    };
  }
}

/** The catalog sinks of one running node, in spec order. */
export class SinkTally {
  private readonly sinks = new Map<string, TalliedSink>();

  /** The sink written at `key` (its place in the spec, or its agent-file name); created on first use. */
  entry(key: string, name: string): TalliedSink {
    let t = this.sinks.get(key);
    if (!t) {
      t = new TalliedSink(name);
      this.sinks.set(key, t);
    }
    return t;
  }

  /** The report counters of the sink written at `key`. */
  meter(key: string): ComponentMeter | undefined {
    return this.sinks.get(key)?.meter;
  }

  /** Every sink's meter, named as `list()` names its totals. */
  meterList(): { name: string; meter: ComponentMeter }[] {
    return this.named().map(([name, t]) => ({ name, meter: t.meter }));
  }

  list(): SinkTotals[] {
    return this.named().map(([name, t]) => t.totals(name));
  }

  /** Each sink with its summary name: a catalog name that repeats gets its place (`text@3:7`). */
  private named(): [string, TalliedSink][] {
    const seen = new Map<string, number>();
    for (const t of this.sinks.values()) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    return [...this.sinks].map(([key, t]) => [(seen.get(t.name) ?? 0) > 1 ? `${t.name}@${key}` : t.name, t]);
  }
}

/**
 * One catalog sink instance in a node's tree, counted into its TalliedSink: every append goes through
 * the sink's meter (events, bytes, time until accepted, failures). A sink that reports its own counts
 * (a best-effort sink accepts batches it may drop later) adds them when it is closed.
 */
export class CountedSink implements EventSink {
  /** The inner counts already added (a sink may be closed and reopened, as failover does). */
  private readonly folded: SinkCounts = { delivered: 0, dropped: 0, retried: 0 };

  constructor(
    readonly inner: EventSink,
    private readonly tallied: TalliedSink,
    /** Report counters of this sink (its tally entry's). */
    readonly meter: ComponentMeter = tallied.meter,
  ) {
    if (typeof inner.counts === 'function') {
      const own = (tallied.own ??= { delivered: 0, dropped: 0, retried: 0 });
      // Live: what earlier instances (folded at their close) and this one dropped.
      this.meter.droppedSoFar = () => own.dropped + (inner.counts!().dropped - this.folded.dropped);
    }
    if (typeof inner.reliability === 'function') this.meter.figures = () => inner.reliability!();
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  append(batch: Batch): void | Promise<void> {
    return this.meter.append(this.inner, batch);
  }

  flush(): Promise<void> {
    return this.inner.flush ? this.inner.flush() : Promise.resolve();
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      const c = this.inner.counts?.();
      const own = this.tallied.own;
      if (c && own) {
        const f = this.folded;
        own.delivered += c.delivered - f.delivered;
        own.dropped += c.dropped - f.dropped;
        own.retried += c.retried - f.retried;
        Object.assign(f, c);
      }
    }
  }
}
