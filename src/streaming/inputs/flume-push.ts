import { takeAck } from '../../core/ack.js';
import { asSluiceError, SluiceError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../../rpc/avro/frame.js';
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type GuardStats,
} from '../../rpc/connection-guard.js';
import { AvroEventSource } from '../../sources/avro.js';
import { type IpRule, ipRefusal, parseIpFilterRules } from '../../sources/avro-ng.js';
import { flumeRecords, type SparkFlumeEvent } from '../flume-event.js';
import type { Receiver, ReceiverSink } from '../receiver.js';

/**
 * Options of the push receiver: Spark's `enableDecompression`, and the network options of Sluice's
 * avro source (TLS, token, connection limits, ipFilterRules), which Flume's and Sluice's avro sinks
 * can use (Spark's own receiver has none of them).
 */
export interface FlumePushOptions {
  /** zlib both ways under the frame codec: pair with the avro sink's `compression-type = deflate`. */
  enableDecompression?: boolean | undefined;
  /** TLS: PEM files of the server key and certificate; with `caFile`, senders must present a certificate it signed. */
  ssl?: { keyFile: string; certFile: string; caFile?: string | undefined } | undefined;
  /** Shared secret senders present in the Avro handshake (Sluice avro sinks with the same `token`). */
  token?: string | undefined;
  /** `allow|deny:ip|name:pattern,...` as the avro source's ipFilterRules. */
  ipFilterRules?: string | undefined;
  /** Connections at once and idle, read and handshake timeouts (the avro source's defaults otherwise). */
  limits?: Partial<ConnectionLimits> | undefined;
  /** A batch not stored this long after it arrived is answered FAILED, so its sender resends it (15 s). */
  requestTimeoutMs?: number | undefined;
  maxFrameSize?: number | undefined;
  logger?: Logger | undefined;
}

/**
 * `FlumeUtils.createStream`'s receiver: an Avro server speaking Flume's AvroSourceProtocol, which
 * Flume's and Sluice's avro sinks push to. It is Sluice's avro source (sources/avro.ts, the agent's delivery-scoped request timeout) pulled by
 * the engine instead of an agent's channel: each batch a sender appends becomes one block, and the
 * sender is answered OK only once the engine settled the block's ack (stored, and in the receiver
 * write-ahead log when the context keeps one), FAILED when the engine could not store it.
 *
 * Backpressure: while the engine has no room (`store` returned a promise) the receiver takes no
 * further batch; senders' batches wait unanswered, each connection stops being read past its read-ahead
 * limits, and a batch still waiting after `requestTimeoutMs` is answered FAILED, which the sender
 * retries. While the receiver is stopped nothing listens, so senders see connection errors, never a
 * silent loss.
 */
export class FlumePushReceiver implements Receiver<SparkFlumeEvent> {
  readonly name: string;
  private source: AvroEventSource | undefined;
  private pumping: Promise<void> | undefined;
  private readonly logger: Logger;
  private readonly ipRules: IpRule[] | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly opts: FlumePushOptions = {},
  ) {
    this.name = `flume-push ${host}:${port}`;
    this.logger = opts.logger ?? createLogger(undefined, this.name);
    if (opts.ipFilterRules !== undefined) {
      const parsed = parseIpFilterRules(opts.ipFilterRules);
      if (typeof parsed === 'string') {
        throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', parsed, {
          place: { component: this.name, field: 'ipFilterRules' },
        });
      }
      this.ipRules = parsed;
    }
  }

  /** The port listened on (the chosen one when constructed with port 0), once started. */
  get boundPort(): number {
    return this.source?.port ?? this.port;
  }

  /** Connections accepted and refused (undefined while stopped). */
  get connections(): Readonly<GuardStats> | undefined {
    return this.source?.connections;
  }

  /** Events answered OK, FAILED, and timed out since start. */
  get stats(): AvroEventSource['stats'] | undefined {
    return this.source?.stats;
  }

  async start(sink: ReceiverSink<SparkFlumeEvent>): Promise<void> {
    if (this.source) return;
    const o = this.opts;
    const ipRules = this.ipRules;
    const source = new AvroEventSource(
      this.name,
      {
        bind: this.host,
        port: this.port,
        compression: o.enableDecompression ? 'deflate' : 'none',
        compressionLevel: 6,
        ssl: o.ssl !== undefined,
        keyFile: o.ssl?.keyFile,
        certFile: o.ssl?.certFile,
        caFile: o.ssl?.caFile,
        trustAllCerts: false,
        token: o.token,
        maxFrameSize: o.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
        peerFilter: ipRules && ((address) => ipRefusal(ipRules, address, this.name)),
        timeoutScope: 'delivery',
        requestTimeoutMs: o.requestTimeoutMs,
        limits: o.limits ? { ...DEFAULT_CONNECTION_LIMITS, ...o.limits } : undefined,
      },
      this.logger,
    );
    await source.open();
    this.source = source;
    this.pumping = this.pump(source, sink);
  }

  async stop(): Promise<void> {
    const source = this.source;
    if (!source) return;
    this.source = undefined;
    // Closing answers FAILED to batches not yet taken and ends the pump's wait for the next one; the
    // block in the engine's hands settles (or is failed after the source's grace) before the port closes.
    await source.close();
    await this.pumping;
    this.pumping = undefined;
  }

  /** Hands the source's batches to the engine one at a time: the next is taken once the engine has room. */
  private async pump(source: AvroEventSource, sink: ReceiverSink<SparkFlumeEvent>): Promise<void> {
    for (;;) {
      let batch = source.next();
      if (batch instanceof Promise) batch = await batch;
      if (batch === null) return;
      const ack = takeAck(batch);
      try {
        const { records, bytes } = flumeRecords(batch);
        const room = sink.store({ records, bytes, ack });
        if (room) await room;
      } catch (e) {
        const err = asSluiceError(e);
        ack?.fail(err);
        sink.reportError(err);
        return;
      }
    }
  }
}
