import { ByteWriter } from '../../core/byte-writer.js';
import type { Event } from '../../core/event.js';
import { AvroClient, type AvroClientOptions } from './client.js';
import { readFlumeEvents } from './flume-event.js';
import { sparkFlumeProtocol } from './protocols.js';

/**
 * A client of Spark's SparkFlumeProtocol: what Spark's polling receiver does against a SparkSink
 * (getEventBatch, then ack or nack), for Sluice's tests, benchmarks and streaming pull receiver.
 */
export interface SparkEventBatch {
  /** Empty on success; otherwise the sink's error and no events. */
  errorMsg: string;
  sequenceNumber: string;
  events: Event[];
}

/**
 * `tls` (PEM buffers: `ca` to trust, `key`/`cert` for a client certificate) and `token` match a SparkSink
 * configured with ssl and token; they are Sluice's additions, which Spark's own receivers cannot use.
 */
export type SparkPollerOptions = Omit<AvroClientOptions, 'protocol'>;

/**
 * getEventBatch waits at the sink until the channel has an event, as long as it takes; a request
 * timeout would drop the connection (and every call on it) meanwhile, so the default is the longest
 * timer Node allows (about 24 days). The sink's own `timeout` is what guards unanswered batches.
 */
const NO_TIMEOUT = 0x7fffffff;

export class SparkPoller {
  readonly client: AvroClient;

  constructor(opts: SparkPollerOptions) {
    this.client = new AvroClient({ requestTimeoutMs: NO_TIMEOUT, ...opts, protocol: sparkFlumeProtocol });
  }

  getEventBatch(n: number): Promise<SparkEventBatch> {
    const w = new ByteWriter(8);
    w.int(n);
    const host = this.client.opts.host;
    return this.client.call('getEventBatch', w.finish(), (r) => {
      const errorMsg = r.string();
      const sequenceNumber = r.string();
      return { errorMsg, sequenceNumber, events: readFlumeEvents(r, host) };
    });
  }

  ack(sequenceNumber: string): Promise<void> {
    return this.settle('ack', sequenceNumber);
  }

  nack(sequenceNumber: string): Promise<void> {
    return this.settle('nack', sequenceNumber);
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private settle(name: 'ack' | 'nack', sequenceNumber: string): Promise<void> {
    const w = new ByteWriter(16 + sequenceNumber.length * 3);
    w.string(sequenceNumber);
    // The answer is Avro null: nothing to read.
    return this.client.call(name, w.finish(), () => undefined);
  }
}
