import { LATENCY_BOUNDS_MS, type LatencyReport } from '../flow/report.js';
import type { ReceiverReport } from './receiver-stream.js';

/** One completed batch, as Spark's BatchInfo. */
export interface BatchInfo {
  /** The batch time (a multiple of the batch interval). */
  time: number;
  /** Records the inputs gave this batch. */
  records: number;
  /** From the batch time to the start of its processing: how late the engine is. */
  schedulingDelayMs: number;
  processingTimeMs: number;
  totalDelayMs: number;
}

/**
 * The streaming section of the reports (docs/streaming.md): the batch counts, the last batch, and the
 * scheduling delay and processing time in the fixed latency buckets of flow/report.ts.
 */
export interface StreamingReport {
  name: string;
  kind: 'streaming';
  state: string;
  batchIntervalMs: number;
  batches: number;
  /** Batches cut and waiting for the one in progress. */
  queuedBatches: number;
  records: number;
  lastBatch?: BatchInfo;
  maxSchedulingDelayMs: number;
  schedulingDelay: LatencyReport;
  processingTime: LatencyReport;
  unprocessedBytes: number;
  maxUnprocessedBytes: number;
  receivers: ReceiverReport[];
  receiverErrors: number;
  lastReceiverError?: string;
  error?: string;
}

type Live = Pick<
  StreamingReport,
  | 'name'
  | 'state'
  | 'batchIntervalMs'
  | 'queuedBatches'
  | 'unprocessedBytes'
  | 'maxUnprocessedBytes'
  | 'receivers'
  | 'error'
>;

function histogram(): LatencyReport {
  return { boundsMs: LATENCY_BOUNDS_MS, counts: new Array(LATENCY_BOUNDS_MS.length + 1).fill(0), sumMs: 0 };
}

function count(h: LatencyReport, ms: number): void {
  let i = 0;
  while (i < h.boundsMs.length && ms > h.boundsMs[i]!) i++;
  h.counts[i]!++;
  h.sumMs += ms;
}

export class StreamingMeter {
  private batches = 0;
  private records = 0;
  private last: BatchInfo | undefined;
  private maxDelay = 0;
  private readonly delay = histogram();
  private readonly processing = histogram();
  private receiverErrors = 0;
  private lastReceiverError: string | undefined;

  batchCompleted(info: BatchInfo): void {
    this.batches++;
    this.records += info.records;
    this.last = info;
    if (info.schedulingDelayMs > this.maxDelay) this.maxDelay = info.schedulingDelayMs;
    count(this.delay, info.schedulingDelayMs);
    count(this.processing, info.processingTimeMs);
  }

  receiverError(message: string): void {
    this.receiverErrors++;
    this.lastReceiverError = message;
  }

  report(live: Live): StreamingReport {
    return {
      ...live,
      kind: 'streaming',
      batches: this.batches,
      records: this.records,
      ...(this.last !== undefined ? { lastBatch: { ...this.last } } : {}),
      maxSchedulingDelayMs: this.maxDelay,
      schedulingDelay: { ...this.delay, counts: [...this.delay.counts] },
      processingTime: { ...this.processing, counts: [...this.processing.counts] },
      receiverErrors: this.receiverErrors,
      ...(this.lastReceiverError !== undefined ? { lastReceiverError: this.lastReceiverError } : {}),
    };
  }
}
