import type { Event } from '../core/event.js';
import { eventHeaders } from '../rpc/avro/flume-event.js';

/**
 * What the Flume receivers hand the engine per event, after Spark's SparkFlumeEvent: the Flume headers
 * and the body. It wraps the Sluice event the Avro decoder made (its body is a view of the received
 * frame, no copy), and builds the header map only when asked: a job that reads bodies only (the log
 * aggregator) pays one small object per event.
 *
 * `headers` always hold `timestamp` (the sender's, or the arrival time when it sent none) and `host`
 * (the sender's, or its address), then every other header the sender sent. Sluice's own
 * `sluice.priority` and `sluice.nanos` headers are read into the event and not repeated here.
 */
export class SparkFlumeEvent {
  private cachedHeaders: Record<string, string> | undefined;

  constructor(readonly event: Event) {}

  get body(): Buffer {
    return this.event.body;
  }

  /** The body as UTF-8 text (the access-log line of the tutorial). */
  get text(): string {
    return this.event.body.toString('utf8');
  }

  get headers(): Readonly<Record<string, string>> {
    this.cachedHeaders ??= eventHeaders(this.event, { sluiceHeaders: false });
    return this.cachedHeaders;
  }

  /** Bytes this event holds in memory, roughly: the engine's bound on unprocessed data counts these. */
  get bytes(): number {
    return estimatedBytes(this.event);
  }
}

/** Fixed cost of an event and its wrapper beside the body and attribute bytes (objects, fields). */
const EVENT_OVERHEAD = 120;

export function estimatedBytes(e: Event): number {
  let n = EVENT_OVERHEAD + e.bodyLength;
  const count = e.attrCount;
  for (let i = 0; i < count; i++) n += e.attrName(i).length + e.attrValue(i).length + 32;
  return n;
}

/** Wraps a received batch for the engine and measures it. */
export function flumeRecords(batch: readonly Event[]): { records: SparkFlumeEvent[]; bytes: number } {
  const records = new Array<SparkFlumeEvent>(batch.length);
  let bytes = 0;
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i]!;
    records[i] = new SparkFlumeEvent(e);
    bytes += estimatedBytes(e);
  }
  return { records, bytes };
}
