import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Ack, takeAck } from '../core/ack.js';
import { Backoff, WakeableDelay } from '../core/backoff.js';
import { asSluiceError, isFatal, type SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { OutageLog } from '../core/outage.js';
import type { EventSink, EventSource } from '../core/pipeline.js';
import { EventLoopTurns } from '../core/turns.js';
import type { CompiledNode } from './compile.js';
import { CountedSink, SinkTally, type SinkTotals } from './counted.js';
import { ComponentMeter, type PipelineReport } from './report.js';
import { letGo, settleAck } from './settle.js';

/** Flume's node states (the master shows them); a runtime uses CONFIGURING..CLOSING. */
export type NodeState =
  | 'HELLO'
  | 'IDLE'
  | 'CONFIGURING'
  | 'ACTIVE'
  | 'ERROR'
  | 'LOST'
  | 'DECOMMISSIONED'
  | 'CLOSING';

/** What a node's summary line says: events read, failed, and per sink what became of them. */
export interface NodeTotals {
  name: string;
  state: NodeState;
  /** The error that put the node in ERROR. */
  error?: string;
  /** Events pulled from the source. */
  events: number;
  batches: number;
  /** Events of batches the sink tree failed (dropped by the node, which went on with the next batch). */
  failed: number;
  /** Per catalog sink: delivered, dropped, retried, failed. */
  sinks: SinkTotals[];
}

/** First and longest wait before opening a node's source and sinks again after a transient failure. */
const OPEN_RETRY_MS = 1000;
const OPEN_RETRY_MAX_MS = 30_000;

/**
 * One logical node: a source pulled in batches into a sink tree, with backpressure (the next batch
 * is pulled only when the sink accepted the last). A finite source that drains closes the sink
 * (flushing everything) and leaves the node IDLE.
 *
 * Faults are classified by `isFatal` (core/errors.ts). A batch the sink tree fails with a transient
 * fault (a collector down, a bad value in one event) is dropped and counted, its ack fails (so a
 * network source answers its sender with an error, a file source reads it again), and the node stays
 * ACTIVE for the next batch. A batch the sink tree accepted is acked ok (core/ack.ts). A transient
 * fault while opening is retried with backoff. A fatal fault (a missing directory, a port in use)
 * leaves the node in ERROR with one line naming the component and the cause.
 * Nothing a node does can throw out of `run()`, so one failing node never stops its neighbours.
 */
export class LogicalNode {
  state: NodeState = 'IDLE';
  error: SluiceError | undefined;
  private source: EventSource | undefined;
  private sink: EventSink | undefined;
  private stopping = false;
  private done: Promise<void> | undefined;
  private tally = new SinkTally();
  /**
   * What the source gave and the sink tree was handed, how long the tree took to accept each batch,
   * and what it failed: the node's only count of its events.
   */
  private readonly treeMeter: ComponentMeter;
  private readonly appendOutage: OutageLog;
  private readonly retryDelay = new WakeableDelay();

  constructor(
    readonly compiled: CompiledNode,
    private readonly logger: Logger,
    /** The configuration version this node runs (the node host counts reconfigurations). */
    public version = 1,
  ) {
    this.treeMeter = new ComponentMeter('source', compiled.name, compiled.spec.source.name);
    this.appendOutage = new OutageLog(logger, `node ${compiled.name}:`, {
      down: 'sink failing',
      meanwhile: 'dropping and counting each failed batch',
      up: 'sink delivering again',
    });
  }

  get name(): string {
    return this.compiled.name;
  }

  /** Events pulled from the source (in non-empty batches). */
  get events(): number {
    return this.treeMeter.eventsIn;
  }

  get batches(): number {
    return this.treeMeter.batches;
  }

  /** Events of batches the sink tree failed. */
  get failed(): number {
    return this.treeMeter.failedEvents;
  }

  /** Starts the node; the promise resolves when it reached IDLE or ERROR (never rejects). */
  start(): Promise<void> {
    this.done ??= this.run();
    return this.done;
  }

  private async run(): Promise<void> {
    this.state = 'CONFIGURING';
    try {
      if (!(await this.openAll())) {
        this.state = 'IDLE';
        return;
      }
      this.state = 'ACTIVE';
      await this.pump(this.source!, this.sink!);
      this.state = 'CLOSING';
      await this.closeAll();
      this.state = 'IDLE';
      this.logSummary(this.stopping ? 'stopped' : 'drained');
    } catch (e) {
      this.error = asSluiceError(e);
      this.state = 'ERROR';
      this.logger.error(`node ${this.name} failed: ${this.error.oneLine()}`);
      await this.closeAll().catch((ce: unknown) =>
        this.logger.warn(`node ${this.name}: close after failure: ${asSluiceError(ce).oneLine()}`),
      );
    }
  }

  /**
   * Builds and opens the sink tree, then the source; a transient failure closes what opened and tries
   * again after a backoff (logged once). False when the node was stopped before it could start.
   */
  private async openAll(): Promise<boolean> {
    const outage = new OutageLog(this.logger, `node ${this.name}:`, {
      down: 'cannot start',
      meanwhile: 'retrying with backoff',
      up: 'started',
    });
    const delay = new Backoff({ initialMs: OPEN_RETRY_MS, maxMs: OPEN_RETRY_MAX_MS });
    for (;;) {
      try {
        this.tally = new SinkTally();
        this.sink = this.compiled.makeSink(this.tally);
        this.source = this.compiled.makeSource();
        await this.sink.open();
        await this.source.open();
        outage.recovered();
        if (!this.stopping) return true;
        await this.closeAll();
        return false;
      } catch (e) {
        if (isFatal(e, 'start') || this.stopping) throw e;
        outage.failed(e);
        await this.closeAll().catch(() => {});
        await this.retryDelay.wait(delay.fail());
        if (this.stopping) return false;
      }
    }
  }

  private async pump(source: EventSource, sink: EventSink): Promise<void> {
    const meter = this.treeMeter;
    // A tree that is one catalog sink is metered once for the node and the sink (same clock readings).
    const lone = sink instanceof CountedSink ? sink : undefined;
    const turns = new EventLoopTurns();
    for (;;) {
      let batch = source.next();
      if (batch instanceof Promise) batch = await batch;
      if (batch === null) return;
      const ack = takeAck(batch);
      if (batch.length === 0) {
        if (ack !== undefined) settleAck(ack, undefined, this.logger, 'node', this.name);
        const turn = turns.tick();
        if (turn !== undefined) await turn;
        continue;
      }
      try {
        const r = lone ? meter.append(lone.inner, batch, lone.meter) : meter.append(sink, batch);
        if (r) await r;
      } catch (e) {
        letGo(batch);
        await this.batchFailed(ack, e);
        continue;
      }
      letGo(batch);
      // Accepted by the sink tree: as safe as a logical node makes a batch (docs/acks.md).
      if (ack !== undefined) settleAck(ack, undefined, this.logger, 'node', this.name);
      if (this.appendOutage.down) this.appendOutage.recovered();
      // Last in the loop: checked first, the extra await point slows the whole pump (+9% CPU/event).
      const turn = turns.tick();
      if (turn !== undefined) await turn;
    }
  }

  /**
   * A batch the sink tree refused (the meter counted it failed): its ack fails; fatal faults end the
   * node, others cost this batch.
   */
  private async batchFailed(ack: Ack | undefined, e: unknown): Promise<void> {
    const err = asSluiceError(e);
    if (ack !== undefined) settleAck(ack, err, this.logger, 'node', this.name);
    if (isFatal(e)) throw e;
    this.appendOutage.failed(err);
    // A sink that fails synchronously in front of a synchronous source must not starve timers and I/O.
    await nextTurn();
  }

  /** One line: what the source gave, and per sink what was delivered, dropped, retried and failed. */
  private logSummary(how: 'drained' | 'stopped'): void {
    const sinks = this.tally.list();
    const lost = this.failed > 0 || sinks.some((t) => t.dropped > 0 || t.failed > 0);
    const parts = sinks.map(
      (t) =>
        `${t.name}: ${t.delivered} delivered, ${t.dropped} dropped, ${t.retried} retried${t.failed > 0 ? `, ${t.failed} failed` : ''}`,
    );
    const line = `node ${this.name} ${how}: ${this.events} events read${this.failed > 0 ? `, ${this.failed} in failed batches` : ''}${parts.length > 0 ? `; ${parts.join('; ')}` : ''}`;
    if (lost) this.logger.warn(line);
    else this.logger.info(line);
  }

  private async closeAll(): Promise<void> {
    const source = this.source;
    const sink = this.sink;
    this.source = undefined;
    this.sink = undefined;
    let first: unknown;
    if (source) await source.close().catch((e: unknown) => (first ??= e));
    if (sink) await sink.close().catch((e: unknown) => (first ??= e));
    if (first !== undefined) throw first;
  }

  /** Closes the source (a pending pull ends), lets the sink flush, and waits for the node to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.retryDelay.wake();
    if (!this.done) return;
    const source = this.source;
    if (this.state === 'ACTIVE' && source) {
      // The pump still holds the source; closing it makes its pending next() return null.
      this.source = undefined;
      this.state = 'CLOSING';
      await source
        .close()
        .catch((e: unknown) => this.logger.warn(`close source: ${asSluiceError(e).oneLine()}`));
    }
    await this.done;
  }

  /**
   * The node in the report shape every pipeline shares: its source (what it read, handed to the sink
   * tree, and the time the tree took per batch) and each catalog sink of the tree.
   */
  report(): PipelineReport {
    const source = this.treeMeter.report(
      this.state,
      this.error ? { lastError: this.error.oneLine() } : undefined,
    );
    return {
      name: this.name,
      kind: 'logical-node',
      state: this.state,
      version: this.version,
      ...(this.error ? { error: this.error.oneLine() } : {}),
      components: [
        source,
        ...this.tally.meterList().map(({ name, meter }) => ({ ...meter.report(this.state), name })),
      ],
    };
  }

  /** The counts of the summary line. */
  totals(): NodeTotals {
    return {
      name: this.name,
      state: this.state,
      ...(this.error ? { error: this.error.oneLine() } : {}),
      events: this.events,
      batches: this.batches,
      failed: this.failed,
      sinks: this.tally.list(),
    };
  }
}
