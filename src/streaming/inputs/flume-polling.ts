import { Ack } from '../../core/ack.js';
import { Backoff, WakeableDelay } from '../../core/backoff.js';
import { SluiceError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { OutageLog } from '../../core/outage.js';
import { SparkPoller, type SparkPollerOptions } from '../../rpc/avro/spark-poller.js';
import { flumeRecords, type SparkFlumeEvent } from '../flume-event.js';
import type { Receiver, ReceiverSink } from '../receiver.js';

/** One SparkSink to poll, as `host:port` or its parts. */
export interface SinkAddress {
  host: string;
  port: number;
}

export interface FlumePollingOptions {
  /** Events asked for per getEventBatch (Spark's default 1000; a memory channel hands at most its transactionCapacity). */
  maxBatchSize?: number | undefined;
  /** Batches fetched at once across all the sinks (Spark's default 5). */
  parallelism?: number | undefined;
  /** TLS (PEM buffers) and token for SparkSinks configured with them; Sluice-specific. */
  tls?: SparkPollerOptions['tls'];
  token?: string | undefined;
  connectTimeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

/** How long stop() lets the engine settle the blocks it holds before failing them (nack). */
const STOP_GRACE_MS = 2000;

/**
 * `FlumeUtils.createPollingStream`'s receiver: pulls batches from Spark sinks (Sluice's or Spark's own
 * SparkSink) with SparkFlumeProtocol, as Spark's FlumePollingReceiver does. Each batch becomes one block
 * whose ack commits the sink's transaction (`ack(seq)`) once the engine stored it, or rolls it back
 * (`nack(seq)`: the sink hands the events out again) when it could not. A batch the sink reports as an
 * error is logged and skipped, with no ack.
 *
 * `parallelism` fetchers run at once; fetcher i starts at sink i and moves to the next sink after each
 * batch, so every sink is polled whatever the counts. A fetcher whose store the engine pushes back on
 * waits for room before it polls again: under backpressure nothing is fetched, and the events wait in
 * the agents' channels, not in this process.
 */
export class FlumePollingReceiver implements Receiver<SparkFlumeEvent> {
  readonly name: string;
  private pollers: SparkPoller[] = [];
  /**
   * A second connection per sink for ack and nack: a connection's answers come in request order, and
   * a getEventBatch waiting on an empty channel would hold back every ack sent behind it.
   */
  private ackers: SparkPoller[] = [];
  private readonly outages: OutageLog[];
  private fetchers: Promise<void>[] = [];
  private readonly delays = new Set<WakeableDelay>();
  /** Blocks handed to the engine and not settled yet, with the ack/nack calls they caused. */
  private readonly inHand = new Set<Ack>();
  private readonly settling = new Set<Promise<void>>();
  private running = false;
  private readonly logger: Logger;
  private readonly maxBatchSize: number;
  private readonly parallelism: number;
  readonly stats = { batches: 0, events: 0, acked: 0, nacked: 0, errorBatches: 0 };

  constructor(
    readonly addresses: readonly SinkAddress[],
    readonly opts: FlumePollingOptions = {},
  ) {
    if (addresses.length === 0) {
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', 'createPollingStream needs at least one address', {
        place: { component: 'flume-polling', field: 'addresses' },
      });
    }
    this.name = pollingReceiverName(addresses);
    this.maxBatchSize = positive(opts.maxBatchSize ?? 1000, 'maxBatchSize', this.name);
    this.parallelism = positive(opts.parallelism ?? 5, 'parallelism', this.name);
    this.logger = opts.logger ?? createLogger(undefined, this.name);
    this.outages = addresses.map(
      (a) =>
        new OutageLog(this.logger, `SparkSink ${a.host}:${a.port}`, {
          down: 'unreachable',
          up: 'reachable again',
          meanwhile: 'polling again with backoff',
        }),
    );
  }

  async start(sink: ReceiverSink<SparkFlumeEvent>): Promise<void> {
    if (this.running) return;
    this.running = true;
    const connect = (a: SinkAddress) =>
      new SparkPoller({
        host: a.host,
        port: a.port,
        tls: this.opts.tls,
        token: this.opts.token,
        connectTimeoutMs: this.opts.connectTimeoutMs,
        // Several fetchers share a connection: each one's getEventBatch is on the wire at once.
        maxInFlight: this.parallelism + 2,
        backoffMinMs: 100,
        backoffMaxMs: 5000,
      });
    this.pollers = this.addresses.map(connect);
    this.ackers = this.addresses.map(connect);
    this.fetchers = Array.from({ length: this.parallelism }, (_, i) => this.fetch(i, sink));
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const d of this.delays) d.wake();
    // The engine settles what it holds (its acks commit transactions); what it does not within the
    // grace is rolled back at the sink so the events are polled again, by us or another receiver.
    const deadline = Date.now() + STOP_GRACE_MS;
    while (this.inHand.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const stopped = new SluiceError('SLUICE_CLOSED', `${this.name} stopped before the block was stored`);
    for (const a of [...this.inHand]) a.fail(stopped);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.settling),
      new Promise((r) => {
        timer = setTimeout(r, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
    // Closing ends the getEventBatch calls still waiting at the sinks; their transactions roll back.
    await Promise.all([...this.pollers, ...this.ackers].map((p) => p.close()));
    await Promise.all(this.fetchers);
    this.fetchers = [];
    this.pollers = [];
    this.ackers = [];
  }

  private async fetch(index: number, sink: ReceiverSink<SparkFlumeEvent>): Promise<void> {
    const n = this.pollers.length;
    const backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
    const delay = new WakeableDelay();
    this.delays.add(delay);
    let at = index % n;
    try {
      while (this.running) {
        const poller = this.pollers[at]!;
        const acker = this.ackers[at]!;
        const outage = this.outages[at]!;
        at = (at + 1) % n;
        let batch: Awaited<ReturnType<SparkPoller['getEventBatch']>>;
        try {
          batch = await poller.getEventBatch(this.maxBatchSize);
        } catch (e) {
          if (!this.running) return;
          outage.failed(e);
          await delay.wait(Math.max(backoff.fail(), poller.client.backoffRemaining()));
          continue;
        }
        outage.recovered();
        backoff.reset();
        if (batch.errorMsg !== '' || batch.sequenceNumber === '') {
          // The sink could not take from its channel (or is stopping): nothing to ack; ask again later.
          this.stats.errorBatches++;
          outage.failed(new SluiceError('SLUICE_RPC', batch.errorMsg || 'a batch without a sequence number'));
          await delay.wait(backoff.fail());
          continue;
        }
        const ack = this.settlesAt(acker, batch.sequenceNumber);
        if (!this.running) {
          ack.fail(new SluiceError('SLUICE_CLOSED', `${this.name} stopped`));
          return;
        }
        this.stats.batches++;
        this.stats.events += batch.events.length;
        const { records, bytes } = flumeRecords(batch.events);
        let room: void | Promise<void>;
        try {
          room = sink.store({ records, bytes, ack });
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          ack.fail(err);
          sink.reportError(err);
          return;
        }
        if (room) await room;
      }
    } finally {
      this.delays.delete(delay);
    }
  }

  /** The ack of one SparkSink batch: ok commits its transaction, failed rolls it back. */
  private settlesAt(acker: SparkPoller, seq: string): Ack {
    const ack = new Ack((error) => {
      this.inHand.delete(ack);
      const call = error === undefined ? acker.ack(seq) : acker.nack(seq);
      if (error === undefined) this.stats.acked++;
      else this.stats.nacked++;
      // A lost ack is the sink's timeout's business (it rolls back and the events come again).
      const p = call.catch((e: Error) =>
        this.logger.warn(`${error === undefined ? 'ack' : 'nack'} of batch ${seq} failed: ${e.message}`),
      );
      this.settling.add(p);
      p.finally(() => this.settling.delete(p));
    });
    this.inHand.add(ack);
    return ack;
  }
}

export function pollingReceiverName(addresses: readonly SinkAddress[]): string {
  return `flume-polling ${addresses.map((a) => `${a.host}:${a.port}`).join(',')}`;
}

function positive(n: number, field: string, component: string): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${field} must be a positive integer, got ${n}`, {
      place: { component, field },
    });
  }
  return n;
}

/** `host:port[,host:port...]` -> addresses (what the log aggregator's --poll takes). */
export function parseSinkAddresses(text: string): SinkAddress[] {
  return text.split(',').map((part) => {
    const t = part.trim();
    const i = t.lastIndexOf(':');
    const port = Number(t.slice(i + 1));
    if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `"${t}" is not HOST:PORT`, {
        place: { field: 'addresses' },
      });
    }
    return { host: t.slice(0, i), port };
  });
}
