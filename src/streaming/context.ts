import { performance } from 'node:perf_hooks';
import { asSluiceError, SluiceError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { BlockBudget } from './budget.js';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { ManualClock, type StreamingClock, systemClock } from './clock.js';
import { DStream, type OutputFn, type StreamGraph } from './dstream.js';
import { type QueueStreamOptions, queueOperator } from './queue-stream.js';
import type { Receiver } from './receiver.js';
import type { ReceiverLogFactory } from './receiver-log.js';
import { type ReceiverHost, ReceiverInput } from './receiver-stream.js';
import { type BatchInfo, StreamingMeter, type StreamingReport } from './report.js';

export interface StreamingContextOptions {
  /** The batch interval: every batch covers this many ms, batch times are its multiples. */
  batchIntervalMs: number;
  /** `manual` (tests): time moves only by `advance(ms)`. Default `system`. */
  clock?: 'system' | 'manual';
  /** The manual clock's time at creation (default 0). */
  startTimeMs?: number;
  /**
   * Bytes receivers may hold that batches have not processed yet, all receivers together; past it
   * `store` makes receivers wait (default 64 MiB).
   */
  maxUnprocessedBytes?: number;
  /** Records per second each receiver may store at most (Spark's spark.streaming.receiver.maxRate). */
  maxRate?: number;
  /** Opens the write-ahead log of each receiver (under the checkpoint directory); none by default. */
  receiverLog?: ReceiverLogFactory;
  /** How long `stop({ graceful: true })` waits for received data to be processed (default 10 batches). */
  gracefulStopTimeoutMs?: number;
  /** How long stopping waits for a receiver's stop (default 10 s). */
  receiverStopTimeoutMs?: number;
  logger?: Logger;
  /** Shown in logs and the report (default `streaming`). */
  name?: string;
}

export type StreamingState = 'INITIALIZED' | 'ACTIVE' | 'STOPPED';

interface Output {
  readonly stream: DStream<unknown>;
  readonly kind: string;
  readonly run: OutputFn<unknown>;
}

const DEFAULT_MAX_UNPROCESSED = 64 * 1024 * 1024;

/**
 * Spark Streaming's StreamingContext in one process: it cuts the input into batches at multiples of the
 * batch interval and runs every output operation on each batch, one batch at a time. A batch that takes
 * longer than the interval delays the next ones (they queue, none is skipped or overlapped); the delay
 * shows in the report as scheduling delay.
 */
export class StreamingContext implements StreamGraph {
  readonly batchIntervalMs: number;
  readonly name: string;
  readonly clock: StreamingClock;
  readonly logger: Logger;
  private readonly opts: StreamingContextOptions;
  private zero = 0;
  private lifecycle: StreamingState = 'INITIALIZED';
  private readonly streams: DStream<unknown>[] = [];
  private readonly inputs: DStream<unknown>[] = [];
  private readonly outputs: Output[] = [];
  private readonly receivers: ReceiverInput<unknown>[] = [];
  /** The graph id of each receiver's stream: it names the receiver's log directory. */
  private readonly receiverStreamIds: number[] = [];
  private readonly budget: BlockBudget;
  private readonly meter: StreamingMeter;
  private nextBatchTime = 0;
  private readonly queue: number[] = [];
  private processing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private acceptingBatches = true;
  private failure: SluiceError | undefined;
  private stopping: Promise<void> | undefined;
  private checkpointDir: string | undefined;
  private checkpointIntervalMs = 0;
  private restored: Checkpoint | undefined;
  private readonly listeners: ((info: BatchInfo) => void)[] = [];
  private readonly terminated: Promise<void>;
  private terminate!: (error?: Error) => void;

  constructor(opts: StreamingContextOptions) {
    const b = opts.batchIntervalMs;
    if (!Number.isInteger(b) || b <= 0)
      throw new SluiceError(
        'SLUICE_STREAMING',
        `batchIntervalMs must be a positive whole number of ms, got ${b}`,
        {
          place: { field: 'batchIntervalMs' },
        },
      );
    this.batchIntervalMs = b;
    this.opts = opts;
    this.name = opts.name ?? 'streaming';
    this.clock = opts.clock === 'manual' ? new ManualClock(opts.startTimeMs ?? 0) : systemClock;
    this.logger = opts.logger ?? createLogger('info', this.name);
    this.budget = new BlockBudget(opts.maxUnprocessedBytes ?? DEFAULT_MAX_UNPROCESSED);
    this.meter = new StreamingMeter();
    this.terminated = new Promise<void>((resolve, reject) => {
      this.terminate = (error) => (error === undefined ? resolve() : reject(error));
    });
    // A context nobody awaits must not crash the process with an unhandled rejection.
    this.terminated.catch(() => {});
  }

  get zeroTime(): number {
    return this.zero;
  }

  get state(): StreamingState {
    return this.lifecycle;
  }

  // ---- the graph --------------------------------------------------------------------------------

  /** @internal */
  register(stream: DStream<unknown>): number {
    if (this.lifecycle !== 'INITIALIZED')
      throw new SluiceError(
        'SLUICE_STREAMING',
        `a DStream (${this.streams.length}) cannot be added once the StreamingContext has started`,
      );
    this.streams.push(stream);
    return this.streams.length - 1;
  }

  /** @internal */
  addOutput(stream: DStream<unknown>, kind: string, run: OutputFn<unknown>): void {
    if (this.lifecycle !== 'INITIALIZED')
      throw new SluiceError(
        'SLUICE_STREAMING',
        `${kind}: output operations must be registered before start()`,
      );
    this.outputs.push({ stream, kind, run });
  }

  /** A stream fed by `receiver` (the Flume push and pull receivers, sockets, files). */
  receiverStream<T>(receiver: Receiver<T>): DStream<T> {
    const host: ReceiverHost = {
      clock: this.clock,
      budget: this.budget,
      logger: this.logger,
      receiverFailed: (name, error) => this.receiverFailed(name, error),
    };
    const input = new ReceiverInput<T>(receiver, host, this.opts.maxRate);
    const stream = new DStream<T>(this, input.operator(this.batchIntervalMs));
    this.receivers.push(input as ReceiverInput<unknown>);
    this.receiverStreamIds.push(stream.id);
    this.inputs.push(stream as DStream<unknown>);
    return stream;
  }

  /**
   * A stream of the arrays in `queue`, one per batch by default (Spark's oneAtATime). The caller may push
   * arrays while the context runs.
   */
  queueStream<T>(queue: (readonly T[])[], opts: QueueStreamOptions<T> = {}): DStream<T> {
    const stream = new DStream<T>(this, queueOperator(this.batchIntervalMs, queue, opts));
    this.inputs.push(stream as DStream<unknown>);
    return stream;
  }

  /** The records of all `streams` (they must have the same slide). */
  union<T>(streams: DStream<T>[]): DStream<T> {
    if (streams.length === 0) throw new SluiceError('SLUICE_STREAMING', 'union: no DStreams given');
    return streams[0]!.union(...streams.slice(1));
  }

  /**
   * Checkpoints metadata and state into `dir` every `intervalMs` (a multiple of the batch interval;
   * default the batch interval when it is 10 s or more, else the first multiple of it over 10 s, as
   * Spark's default for stateful streams).
   */
  checkpoint(dir: string, opts: { intervalMs?: number } = {}): void {
    const b = this.batchIntervalMs;
    const interval = opts.intervalMs ?? Math.ceil(10_000 / b) * b;
    if (!Number.isInteger(interval) || interval <= 0 || interval % b !== 0)
      throw new SluiceError(
        'SLUICE_STREAMING',
        `checkpoint: intervalMs ${interval} is not a multiple of the batch interval (${b} ms)`,
        { place: { field: 'intervalMs' } },
      );
    this.checkpointDir = dir;
    this.checkpointIntervalMs = interval;
  }

  /**
   * The context `factory` builds, restored from the checkpoint in `dir` when there is one: state,
   * windows and the batch times resume where the checkpoint left them. The factory must build the same
   * graph each time (Sluice cannot serialize functions, so it runs the factory and matches streams by
   * their creation order).
   */
  static async getOrCreate(
    dir: string,
    factory: () => StreamingContext | Promise<StreamingContext>,
  ): Promise<StreamingContext> {
    const saved = await readCheckpoint(dir);
    const ssc = await factory();
    if (ssc.checkpointDir === undefined) ssc.checkpoint(dir);
    if (saved !== undefined) ssc.restore(saved, dir);
    return ssc;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.lifecycle !== 'INITIALIZED')
      throw new SluiceError('SLUICE_STREAMING', `start: the StreamingContext is ${this.lifecycle}`);
    if (this.outputs.length === 0)
      throw new SluiceError(
        'SLUICE_STREAMING',
        'start: no output operations registered (print, foreachRDD, saveAsTextFiles), so nothing would run',
      );
    this.lifecycle = 'ACTIVE';
    const b = this.batchIntervalMs;
    if (this.restored !== undefined) {
      this.nextBatchTime = this.restored.time + b;
      if (this.clock instanceof ManualClock) this.clock.setTime(this.restored.time);
    } else {
      // Batches are aligned to the interval: the first batch time is the next multiple of it.
      this.zero = Math.floor(this.clock.now() / b) * b;
      this.nextBatchTime = this.zero + b;
    }
    try {
      for (const r of this.receivers) await r.start(await this.openLog(r));
    } catch (e) {
      const err = asSluiceError(e);
      await this.stop();
      throw err;
    }
    this.logger.info(
      `started: batch interval ${b} ms, ${this.inputs.length} input(s), ${this.outputs.length} output(s)` +
        (this.restored !== undefined ? `, resumed from the checkpoint of batch ${this.restored.time}` : ''),
    );
    if (this.clock.kind === 'system') this.scheduleNext();
  }

  /**
   * Manual clock only: moves time by `ms`, running every batch that falls due (one after the other),
   * then resolves. Rejects with the error of a batch that failed.
   */
  async advance(ms: number): Promise<void> {
    const clock = this.clock;
    if (!(clock instanceof ManualClock))
      throw new SluiceError(
        'SLUICE_STREAMING',
        'advance: only a context with clock "manual" can be advanced',
      );
    if (this.lifecycle !== 'ACTIVE')
      throw new SluiceError('SLUICE_STREAMING', `advance: the StreamingContext is ${this.lifecycle}`);
    const target = clock.now() + ms;
    while (this.nextBatchTime <= target && this.acceptingBatches) {
      clock.setTime(this.nextBatchTime);
      this.generate(this.nextBatchTime);
      this.nextBatchTime += this.batchIntervalMs;
      await this.drain();
      if (this.failure !== undefined) throw this.failure;
    }
    clock.setTime(target);
  }

  /**
   * Stops receivers and batches. Graceful: receivers stop first, and the data they stored is processed
   * before the context stops (bounded by gracefulStopTimeoutMs); otherwise the batch in progress
   * finishes and the rest is dropped (receivers with a write-ahead log replay it after a restart).
   */
  stop(opts: { graceful?: boolean } = {}): Promise<void> {
    if (this.lifecycle === 'STOPPED') return Promise.resolve();
    this.stopping ??= this.shutdown(opts.graceful === true);
    return this.stopping;
  }

  /** Resolves when the context stopped; rejects with the error that stopped it. */
  awaitTermination(): Promise<void> {
    return this.terminated;
  }

  /** True when the context stopped within `ms`, false otherwise; rejects with the error that stopped it. */
  awaitTerminationOrTimeout(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    return Promise.race([this.terminated.then(() => true), timeout]).finally(() => clearTimeout(timer));
  }

  /** Called after every completed batch, as Spark's StreamingListener.onBatchCompleted. */
  onBatchCompleted(listener: (info: BatchInfo) => void): void {
    this.listeners.push(listener);
  }

  report(): StreamingReport {
    return this.meter.report({
      name: this.name,
      state: this.lifecycle,
      batchIntervalMs: this.batchIntervalMs,
      queuedBatches: this.queue.length,
      unprocessedBytes: this.budget.bytes,
      maxUnprocessedBytes: this.budget.maxBytes,
      receivers: this.receivers.map((r) => r.report()),
      ...(this.failure !== undefined ? { error: this.failure.oneLine() } : {}),
    });
  }

  // ---- batches ----------------------------------------------------------------------------------

  private scheduleNext(): void {
    if (!this.acceptingBatches) return;
    const delay = Math.max(0, this.nextBatchTime - this.clock.now());
    this.timer = setTimeout(() => this.onTimer(), delay);
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.clock.now();
    // A late timer (the event loop was busy with a long batch) generates every batch time it missed.
    while (this.nextBatchTime <= now && this.acceptingBatches) {
      this.generate(this.nextBatchTime);
      this.nextBatchTime += this.batchIntervalMs;
    }
    this.scheduleNext();
    void this.drain();
  }

  /** Cuts the batch of `time`: what receivers stored until now belongs to it. */
  private generate(time: number): void {
    for (const r of this.receivers) r.allocate(time);
    this.queue.push(time);
  }

  private drain(): Promise<void> {
    this.processing ??= this.runQueued().finally(() => {
      this.processing = undefined;
    });
    return this.processing;
  }

  private async runQueued(): Promise<void> {
    while (this.queue.length > 0 && this.failure === undefined) {
      const time = this.queue.shift()!;
      try {
        await this.runBatch(time);
      } catch (e) {
        this.fail(asSluiceError(e, 'SLUICE_STREAMING', { component: `batch ${time}` }));
      }
    }
  }

  private async runBatch(time: number): Promise<void> {
    const schedulingDelayMs = Math.max(0, this.clock.now() - time);
    const t0 = performance.now();
    let records = 0;
    for (const s of this.inputs) records += s.getOrCompute(time)?.length ?? 0;
    for (const s of this.streams) if (s.everyBatch) s.getOrCompute(time);
    for (const o of this.outputs) {
      const batch = o.stream.getOrCompute(time);
      if (batch === undefined) continue;
      const p = o.run(batch, time);
      if (p !== undefined) await p;
    }
    for (const s of this.streams) s.clearOld(time);
    for (const r of this.receivers) r.release(time);
    if (this.checkpointDir !== undefined && (time - this.zero) % this.checkpointIntervalMs === 0)
      await this.saveCheckpoint(this.checkpointDir, time);
    const processingTimeMs = performance.now() - t0;
    const info: BatchInfo = {
      time,
      records,
      schedulingDelayMs,
      processingTimeMs,
      totalDelayMs: schedulingDelayMs + processingTimeMs,
    };
    this.meter.batchCompleted(info);
    for (const l of this.listeners) l(info);
  }

  private async saveCheckpoint(dir: string, time: number): Promise<void> {
    const streams = [];
    for (const s of this.streams) {
      const data = s.checkpointData(time);
      if (data !== undefined) streams.push(data);
    }
    await writeCheckpoint(dir, {
      version: 1,
      batchIntervalMs: this.batchIntervalMs,
      zeroTime: this.zero,
      time,
      kinds: this.streams.map((s) => s.kind),
      streams,
    });
    for (const r of this.receivers) await r.truncateLog(time);
  }

  private restore(saved: Checkpoint, dir: string): void {
    const where = { file: `${dir}/checkpoint` };
    if (saved.batchIntervalMs !== this.batchIntervalMs)
      throw new SluiceError(
        'SLUICE_STREAMING',
        `getOrCreate: the checkpoint was written with a batch interval of ${saved.batchIntervalMs} ms, the context has ${this.batchIntervalMs} ms`,
        { place: where },
      );
    const kinds = this.streams.map((s) => s.kind);
    if (saved.kinds.join(',') !== kinds.join(','))
      throw new SluiceError(
        'SLUICE_STREAMING',
        'getOrCreate: the factory built another graph than the checkpoint holds (streams must be created in the same order)',
        { place: where, detail: `checkpoint: ${saved.kinds.join(', ')}\nfactory:    ${kinds.join(', ')}` },
      );
    this.zero = saved.zeroTime;
    for (const s of saved.streams) this.streams[s.id]!.restoreCheckpoint(s);
    this.restored = saved;
  }

  private async openLog(r: ReceiverInput<unknown>) {
    const factory = this.opts.receiverLog;
    if (factory === undefined) return undefined;
    if (this.checkpointDir === undefined)
      throw new SluiceError(
        'SLUICE_STREAMING',
        'a receiver write-ahead log needs a checkpoint directory: call checkpoint(dir)',
      );
    const id = this.receiverStreamIds[this.receivers.indexOf(r)]!;
    return factory({ streamId: id, name: r.receiver.name, dir: `${this.checkpointDir}/receivedData/${id}` });
  }

  private receiverFailed(name: string, error: Error): void {
    this.logger.error(`receiver ${name}: ${error.message}`);
    this.meter.receiverError(error.message);
    const r = this.receivers.find((x) => x.receiver.name === name);
    void r?.stop();
  }

  private fail(error: SluiceError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.logger.error(`${error.oneLine()}; stopping`);
    void this.stop();
  }

  private async shutdown(graceful: boolean): Promise<void> {
    const stopReceivers = () =>
      withTimeout(
        Promise.all(this.receivers.map((r) => r.stop())),
        this.opts.receiverStopTimeoutMs ?? 10_000,
      );
    if (graceful && this.lifecycle === 'ACTIVE') {
      await stopReceivers();
      // Let the timer cut batches until what the receivers stored has been processed. Batches with no
      // received data left are not waited for: with an output slower than the interval they would
      // queue forever.
      const deadline = Date.now() + (this.opts.gracefulStopTimeoutMs ?? 10 * this.batchIntervalMs);
      const pending = () => this.receivers.some((r) => r.hasPending);
      if (this.clock.kind === 'system')
        while (this.failure === undefined && Date.now() < deadline && pending())
          await new Promise((r) => setTimeout(r, Math.min(this.batchIntervalMs, 50)));
      else await this.drain();
      if (pending())
        this.logger.warn(
          `graceful stop: gave up after ${this.opts.gracefulStopTimeoutMs ?? 10 * this.batchIntervalMs} ms with received data not processed (${this.receivers.reduce((n, r) => n + r.report().pendingRecords, 0)} records)`,
        );
    }
    this.acceptingBatches = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.budget.close();
    await stopReceivers();
    if (this.processing !== undefined) await this.processing;
    for (const r of this.receivers) await r.closeLog().catch(() => {});
    this.lifecycle = 'STOPPED';
    this.logger.info(
      `stopped${this.failure !== undefined ? ` after an error: ${this.failure.message}` : ''}`,
    );
    this.terminate(this.failure);
  }
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}
