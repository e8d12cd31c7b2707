import { asSluiceError, type SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EventSink, EventSource } from '../core/pipeline.js';
import type { CompiledNode } from './compile.js';

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

export interface NodeReport {
  name: string;
  state: NodeState;
  /** The error that put the node in ERROR. */
  error?: string;
  events: number;
  batches: number;
}

/**
 * One logical node: a source pulled in batches into a sink tree, with backpressure (the next batch
 * is pulled only when the sink accepted the last). A finite source that drains closes the sink
 * (flushing everything) and leaves the node IDLE; a failure leaves it in ERROR with the message.
 * Nothing a node does can throw out of `run()`, so one failing node never stops its neighbours.
 */
export class LogicalNode {
  state: NodeState = 'IDLE';
  error: SluiceError | undefined;
  events = 0;
  batches = 0;
  private source: EventSource | undefined;
  private sink: EventSink | undefined;
  private stopping = false;
  private done: Promise<void> | undefined;

  constructor(
    readonly compiled: CompiledNode,
    private readonly logger: Logger,
  ) {}

  get name(): string {
    return this.compiled.name;
  }

  /** Starts the node; the promise resolves when it reached IDLE or ERROR (never rejects). */
  start(): Promise<void> {
    this.done ??= this.run();
    return this.done;
  }

  private async run(): Promise<void> {
    this.state = 'CONFIGURING';
    try {
      this.sink = this.compiled.makeSink();
      this.source = this.compiled.makeSource();
      await this.sink.open();
      await this.source.open();
      if (this.stopping) {
        await this.closeAll();
        this.state = 'IDLE';
        return;
      }
      this.state = 'ACTIVE';
      await this.pump(this.source, this.sink);
      this.state = 'CLOSING';
      await this.closeAll();
      this.state = 'IDLE';
      this.logger.info(`node ${this.name} drained: ${this.events} events`);
    } catch (e) {
      this.error = asSluiceError(e);
      this.state = 'ERROR';
      this.logger.error(`node ${this.name} failed: ${this.error.oneLine()}`);
      await this.closeAll().catch((ce: unknown) =>
        this.logger.warn(`node ${this.name}: close after failure: ${asSluiceError(ce).oneLine()}`),
      );
    }
  }

  private async pump(source: EventSource, sink: EventSink): Promise<void> {
    for (;;) {
      let batch = source.next();
      if (batch instanceof Promise) batch = await batch;
      if (batch === null) return;
      if (batch.length === 0) continue;
      this.events += batch.length;
      this.batches++;
      const r = sink.append(batch);
      if (r) await r;
    }
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

  report(): NodeReport {
    return {
      name: this.name,
      state: this.state,
      ...(this.error ? { error: this.error.oneLine() } : {}),
      events: this.events,
      batches: this.batches,
    };
  }
}
