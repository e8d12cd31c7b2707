import { bodyBytes } from '../core/batch-bytes.js';
import { asSluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { EventSink, ReliabilityFigures } from '../core/pipeline.js';

/**
 * The one report shape of every pipeline a node host runs (logical nodes from a spec, an agent from a
 * file). The master, the web pages and `/metrics` read exactly this; docs/node-host.md describes it.
 */
export interface PipelineReport {
  /** The logical node or agent name. */
  name: string;
  kind: 'logical-node' | 'agent';
  /** Flume's node states: CONFIGURING, ACTIVE, IDLE (drained or stopped), ERROR, CLOSING. */
  state: string;
  /** 1 for the configuration the pipeline started with, +1 for each reconfiguration it took. */
  version: number;
  /** The error that put the pipeline in ERROR. */
  error?: string;
  components: ComponentReport[];
}

/**
 * What a reconfiguration did, by name (`n1` for a logical node; `source r1`, `channel c2` for an agent's
 * components). `rewired`: agent sources that kept running while their interceptors, selector or channels
 * were swapped between two batches.
 */
export interface ConfigChanges {
  version: number;
  unchanged: string[];
  /** Drained, then started again with their new configuration. */
  replaced: string[];
  rewired: string[];
  added: string[];
  /** Drained and stopped. */
  removed: string[];
}

export type ComponentKind = 'source' | 'channel' | 'sink' | 'sinkgroup';

export interface ComponentReport {
  kind: ComponentKind;
  /** The component's name in the agent file, or its catalog name (with its place when it repeats) in a spec. */
  name: string;
  /** Its type (`avro`, `memory`, `text`). */
  type: string;
  state: string;
  /** Events given to it (a sink: appended; a channel: put and committed; a source: read). */
  eventsIn: number;
  /** Events it handed on (a source: into its channels or sink tree; a sink: delivered; a channel: taken and committed). */
  eventsOut: number;
  /** Body bytes of the events counted in `eventsIn`. */
  bytes: number;
  /** Body bytes of the events counted in `eventsOut` (summed per batch, as `bytes`). */
  bytesOut: number;
  batches: number;
  /** Failed batches (or failed attempts, for sinks that retry). */
  errors: number;
  lastError?: string;
  /** Events waiting in a channel (Flume's ChannelSize). */
  size?: number;
  /** A channel: body bytes it holds, those taken by open transactions included. */
  sizeBytes?: number;
  /** A channel: most events it holds (Flume's ChannelCapacity). */
  capacity?: number;
  /** A channel bounded in bytes (the memory channel's byteCapacity less its buffer share). */
  byteCapacity?: number;
  /** A channel: `size` as a percentage of `capacity` (Flume's ChannelFillPercentage). */
  fillPercentage?: number;
  /** Events a best-effort sink accepted and dropped because no collector took them. */
  dropped?: number;
  /** Time per batch (a sink: append until accepted), counted in fixed buckets. */
  latency: LatencyReport;
  /** An end-to-end or write-ahead sink: its ack groups and log bytes (docs/reliability.md). */
  reliability?: ReliabilityFigures;
}

/** Upper bounds (ms, inclusive) of the latency buckets; one more bucket counts everything slower. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000];

export interface LatencyReport {
  boundsMs: readonly number[];
  /** counts[i]: batches that took at most boundsMs[i] (and more than boundsMs[i-1]); the last entry: slower. */
  counts: number[];
  /** Sum of the measured times, for a mean. */
  sumMs: number;
}

/**
 * The counters behind one ComponentReport. Updating costs a few additions and one bucket increment per
 * batch, never per event (except the body lengths, read without cutting a Buffer).
 */
export class ComponentMeter {
  eventsIn = 0;
  eventsOut = 0;
  bytes = 0;
  bytesOut = 0;
  batches = 0;
  errors = 0;
  /** Events of the failed batches (the summaries count events, the report counts batches). */
  failedEvents = 0;
  lastError: string | undefined;
  /** For a sink that counts its own drops (best effort): the events dropped so far. */
  droppedSoFar: (() => number) | undefined;
  /** Set for a sink that keeps a write-ahead log: read at each report. */
  figures: (() => ReliabilityFigures) | undefined;
  private readonly counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  private sumMs = 0;

  constructor(
    readonly kind: ComponentKind,
    readonly name: string,
    readonly type: string,
  ) {}

  /** A batch came in: its events and body bytes (returned, for `delivered`). */
  received(batch: Batch): number {
    const bytes = bodyBytes(batch);
    this.batches++;
    this.eventsIn += batch.length;
    this.bytes += bytes;
    return bytes;
  }

  /** A batch of `events` and `bytes` body bytes was handed on after `ms`. */
  delivered(events: number, bytes: number, ms: number): void {
    this.eventsOut += events;
    this.bytesOut += bytes;
    this.latency(ms);
  }

  /**
   * Appends `batch` to `sink`, counting it in, and out with the time until the sink accepted it, or
   * as failed. The one metered append: a node's sink tree and each catalog sink in it go through it.
   * `also`: the meter of a catalog sink that is the whole tree (`source | sink`), counted with the
   * same clock readings instead of its own. No promise of its own when the sink accepts synchronously.
   */
  append(sink: EventSink, batch: Batch, also?: ComponentMeter): void | Promise<void> {
    const n = batch.length;
    // Counted out when accepted: the sink may keep or change the array it was given.
    const bytes = this.received(batch);
    also?.received(batch);
    const t0 = performance.now();
    let r: void | Promise<void>;
    try {
      r = sink.append(batch);
    } catch (e) {
      this.failed(e, n);
      also?.failed(e, n);
      throw e;
    }
    if (!r) {
      this.accepted(n, bytes, t0, also);
      return;
    }
    return r.then(
      () => this.accepted(n, bytes, t0, also),
      (e: unknown) => {
        this.failed(e, n);
        also?.failed(e, n);
        throw e;
      },
    );
  }

  private accepted(n: number, bytes: number, t0: number, also: ComponentMeter | undefined): void {
    const ms = performance.now() - t0;
    this.delivered(n, bytes, ms);
    also?.delivered(n, bytes, ms);
  }

  latency(ms: number): void {
    this.sumMs += ms;
    const b = LATENCY_BOUNDS_MS;
    let i = 0;
    while (i < b.length && ms > b[i]!) i++;
    this.counts[i]!++;
  }

  failed(e: unknown, events: number): void {
    this.errors++;
    this.failedEvents += events;
    this.lastError = asSluiceError(e).oneLine();
  }

  report(state: string, extra?: { buffer?: BufferFigures; lastError?: string }): ComponentReport {
    const lastError = extra?.lastError ?? this.lastError;
    const dropped = this.droppedSoFar?.();
    const buffer = extra?.buffer;
    return {
      kind: this.kind,
      name: this.name,
      type: this.type,
      state,
      eventsIn: this.eventsIn,
      eventsOut: this.eventsOut,
      bytes: this.bytes,
      bytesOut: this.bytesOut,
      batches: this.batches,
      errors: this.errors,
      ...(lastError !== undefined ? { lastError } : {}),
      ...(buffer ? bufferReport(buffer) : {}),
      ...(dropped !== undefined ? { dropped } : {}),
      ...(this.figures ? { reliability: this.figures() } : {}),
      latency: { boundsMs: LATENCY_BOUNDS_MS, counts: [...this.counts], sumMs: this.sumMs },
    };
  }
}

/** What a channel says of its fill when reported (core/channel.ts: size, capacity, bytes). */
export interface BufferFigures {
  size: number;
  capacity: number;
  bytes?: number | undefined;
  byteCapacity?: number | undefined;
}

/** The channel fields of a report: Flume's ChannelSize, ChannelCapacity and ChannelFillPercentage. */
function bufferReport(b: BufferFigures): Partial<ComponentReport> {
  return {
    size: b.size,
    capacity: b.capacity,
    fillPercentage: b.capacity > 0 ? (100 * b.size) / b.capacity : 0,
    ...(b.bytes !== undefined ? { sizeBytes: b.bytes } : {}),
    ...(b.byteCapacity !== undefined ? { byteCapacity: b.byteCapacity } : {}),
  };
}
