import type { PipelineReport } from '../flow/report.js';

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
  lastSeen: number;
  in: number;
  out: number;
  series: ThroughputSeries;
}

/**
 * Per-node throughput over the last minutes, from the reports nodes send with their heartbeats: a
 * point per heartbeat, its rate the counters' growth since the previous one. A counter that fell (a
 * reconfigured node's components start again from 0) counts from 0. Bounded: `windowMs` of history,
 * at most `maxPoints` per node, at most `maxNodes` nodes (those seen first).
 */
export class ThroughputHistory {
  private readonly tracks = new Map<string, Track>();

  constructor(
    private readonly windowMs = 5 * 60_000,
    private readonly maxPoints = 300,
    private readonly maxNodes = 200,
  ) {}

  observe(nodes: readonly ReportedNode[], now = Date.now()): void {
    const present = new Set(nodes.map((n) => n.name));
    for (const n of nodes) {
      if (n.report === undefined) continue;
      if (!this.tracks.has(n.name) && this.tracks.size >= this.maxNodes) continue;
      const counts = eventCounts(n.report);
      const track = this.tracks.get(n.name);
      if (track === undefined) {
        this.tracks.set(n.name, { lastSeen: n.lastSeen, ...counts, series: { t: [], in: [], out: [] } });
        continue;
      }
      if (n.lastSeen <= track.lastSeen) continue;
      const dt = (n.lastSeen - track.lastSeen) / 1000;
      const grew = (after: number, before: number) => (after >= before ? after - before : after);
      const s = track.series;
      s.t.push(n.lastSeen / 1000);
      // A tenth of an event per second is as fine as a chart shows, and keeps the page's JSON short.
      s.in.push(Math.round((grew(counts.in, track.in) / dt) * 10) / 10);
      s.out.push(Math.round((grew(counts.out, track.out) / dt) * 10) / 10);
      track.lastSeen = n.lastSeen;
      track.in = counts.in;
      track.out = counts.out;
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
      }
    }
  }

  /** Each node's series, by name. */
  series(): Record<string, ThroughputSeries> {
    const out: Record<string, ThroughputSeries> = {};
    for (const [name, track] of [...this.tracks].sort(([a], [b]) => a.localeCompare(b)))
      out[name] = track.series;
    return out;
  }
}
