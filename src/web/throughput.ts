import type { PipelineReport } from '../flow/report.js';
import { CounterRate } from './counter-rate.js';

/** A logical node's heartbeat as the master keeps it: when it came and the report it carried. */
export interface ReportedNode {
  name: string;
  lastSeen: number;
  report?: PipelineReport | undefined;
}

/** One logical node's rates over time: `t` in seconds since the epoch (uPlot's x), events/s in and out. */
export interface ThroughputSeries {
  t: number[];
  in: number[];
  out: number[];
}

/**
 * What a reader is sent: each node's points recorded after the `since` it gave (all of them without
 * one), and `until`, the `since` to give next time.
 */
export interface ThroughputView {
  until: number;
  series: Record<string, ThroughputSeries>;
}

/** How much history the master keeps (and its page keeps of what it is sent). */
export const THROUGHPUT_WINDOW_MS = 5 * 60_000;
export const THROUGHPUT_MAX_POINTS = 300;
export const THROUGHPUT_MAX_NODES = 200;

/** Events a logical node read (its sources' events in) and delivered (its sinks' events out). */
export function eventCounts(report: PipelineReport | undefined): { in: number; out: number } {
  let read = 0;
  let delivered = 0;
  for (const c of report?.components ?? []) {
    if (c.kind === 'source') read += c.eventsIn;
    else if (c.kind === 'sink') delivered += c.eventsOut;
  }
  return { in: read, out: delivered };
}

interface Track {
  in: CounterRate;
  out: CounterRate;
  series: ThroughputSeries;
  /** When each point was recorded (seconds, increasing): what `since` is compared with. */
  recorded: number[];
}

/** A tenth of an event per second is as fine as a chart shows, and keeps the page's JSON short. */
const tenths = (rate: number | undefined) => Math.round((rate ?? 0) * 10) / 10;

/**
 * Per-node throughput over the last minutes, from the reports nodes send with their heartbeats: a
 * point per heartbeat at its time, its rate the counters' growth since the previous one (CounterRate:
 * a counter that fell counts from 0). Bounded: `windowMs` of history, at most `maxPoints` per node, at
 * most `maxNodes` nodes (those seen first).
 *
 * A reader that has the history already asks only for what was recorded since (`view(since)`). That
 * is the time a point was recorded, not its heartbeat's: a heartbeat another master published reaches
 * this one seconds late, older than points recorded before it, and would never be sent by heartbeat time.
 */
export class ThroughputHistory {
  private readonly tracks = new Map<string, Track>();
  /** The last observation's stamp in ms: never goes back, even when the clock does. */
  private stampMs = 0;
  /** The same in seconds, as points carry it and `since` gives it back (whole ms: a short decimal). */
  private stamp = 0;

  constructor(
    private readonly windowMs = THROUGHPUT_WINDOW_MS,
    private readonly maxPoints = THROUGHPUT_MAX_POINTS,
    private readonly maxNodes = THROUGHPUT_MAX_NODES,
  ) {}

  observe(nodes: readonly ReportedNode[], now = Date.now()): void {
    this.stampMs = Math.max(Math.floor(now), this.stampMs + 1);
    this.stamp = this.stampMs / 1000;
    const present = new Set<string>();
    for (const n of nodes) {
      present.add(n.name);
      if (n.report === undefined) continue;
      let track = this.tracks.get(n.name);
      if (track === undefined) {
        if (this.tracks.size >= this.maxNodes) continue;
        track = {
          in: new CounterRate(),
          out: new CounterRate(),
          series: { t: [], in: [], out: [] },
          recorded: [],
        };
        this.tracks.set(n.name, track);
      }
      const counts = eventCounts(n.report);
      if (!track.in.read(counts.in, n.lastSeen)) continue;
      track.out.read(counts.out, n.lastSeen);
      if (track.in.perSecond === undefined) continue;
      const s = track.series;
      s.t.push(n.lastSeen / 1000);
      s.in.push(tenths(track.in.perSecond));
      s.out.push(tenths(track.out.perSecond));
      track.recorded.push(this.stamp);
    }
    const oldest = (now - this.windowMs) / 1000;
    for (const [name, track] of this.tracks) {
      if (!present.has(name)) {
        this.tracks.delete(name);
        continue;
      }
      const s = track.series;
      let drop = 0;
      while (drop < s.t.length && (s.t[drop]! < oldest || s.t.length - drop > this.maxPoints)) drop++;
      if (drop > 0) {
        s.t.splice(0, drop);
        s.in.splice(0, drop);
        s.out.splice(0, drop);
        track.recorded.splice(0, drop);
      }
    }
  }

  /** Each node's whole series, by name. */
  series(): Record<string, ThroughputSeries> {
    return this.view().series;
  }

  /**
   * Each node's points recorded after `since` (a former view's `until`), by name; every node kept is
   * named, with empty series when nothing is new, so a reader drops the others. Without `since`, or
   * with one this history never gave (later than its last stamp: a master that started again), the
   * whole series.
   */
  view(since?: number): ThroughputView {
    const whole = since === undefined || since > this.stamp;
    const series: Record<string, ThroughputSeries> = {};
    for (const [name, track] of [...this.tracks].sort(([a], [b]) => a.localeCompare(b))) {
      const s = track.series;
      if (whole) {
        series[name] = s;
        continue;
      }
      let from = s.t.length;
      while (from > 0 && track.recorded[from - 1]! > since) from--;
      series[name] = { t: s.t.slice(from), in: s.in.slice(from), out: s.out.slice(from) };
    }
    return { until: this.stamp, series };
  }
}
