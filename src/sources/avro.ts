import { checkPort } from '../catalog/ports.js';
import type { BoundArgs, BuildContext, ParamSpec, SourceDef } from '../catalog/types.js';
import { connectionLimitParams, readConnectionLimits } from '../components/options/connection-limits.js';
import { readTransportArgs, transportParams } from '../components/options/transport.js';
import { acked } from '../core/ack.js';
import { WakeableDelay } from '../core/backoff.js';
import { SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { checkAckHandlers, collectorProtocol } from '../reliability/ack-service.js';
import { listenFlumeSource, type TransportArgs } from '../rpc/avro/component-options.js';
import { avroSourceHandlers } from '../rpc/avro/flume-protocol.js';
import { DEFAULT_HANDSHAKE_FRAME_SIZE } from '../rpc/avro/frame.js';
import { Status, type StatusValue } from '../rpc/avro/protocols.js';
import type { AvroServer, PeerInfo } from '../rpc/avro/server.js';
import type { ConnectionLimits, GuardStats } from '../rpc/connection-guard.js';

/**
 * Sources that serve Flume NG's AvroSourceProtocol (what Flume's AvroSink, NettyAvroRpcClient, Spark's
 * examples and Sluice's own avro sinks send to).
 *
 * Received batches go into a queue bounded in events and in body bytes that `next()` drains. A batch is
 * answered OK only once the node delivered it (its ack settled ok: the sink tree accepted it, see
 * docs/acks.md), FAILED when the node could not (the sender keeps it and retries). A connection handles
 * many requests at once and answers them in order, so a pipelining sender keeps its window full while
 * earlier batches are delivered. While the queue is full new batches wait for room, and the connection
 * reads no further requests past a few MiB, so the sender's window fills and it slows down (backpressure
 * reaches across the network instead of events being dropped or memory growing). A batch that cannot be
 * queued within the request timeout is answered FAILED as well.
 */
export interface AvroSourceOptions extends TransportArgs {
  port: number;
  bind: string;
  queueSize: number;
  /** Most request bytes queued; the queue always takes one batch, however large, when empty. */
  queueBytes?: number | undefined;
  /** A batch waiting for room this long is answered FAILED (flume.avro.request.timeout). */
  requestTimeoutMs?: number | undefined;
  limits?: ConnectionLimits | undefined;
  /** Bytes of a first frame read before its handshake is accepted (FrameDecoder's gate). */
  handshakeFrameSize?: number | undefined;
}

interface Waiter {
  events: Event[];
  peer: PeerInfo;
  bytes: number;
  resolve: (s: StatusValue) => void;
  timer: NodeJS.Timeout | undefined;
}

/** A batch in the queue: answered when its ack settles. */
interface Queued {
  events: Event[];
  peer: PeerInfo;
  bytes: number;
  resolve: (s: StatusValue) => void;
}

const DEFAULT_QUEUE_BYTES = 64 * 1024 * 1024;
/** How long close() waits for the node to deliver the batches in hand before answering FAILED. */
const CLOSE_GRACE_MS = 5000;
/** flume.avro.request.timeout's default, for sources built without a site configuration. */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export class AvroEventSource implements EventSource {
  private readonly queue: Queued[] = [];
  /** Batches handed out whose acks have not settled. */
  private readonly inHand = new Set<Queued>();
  /** Close waits here for the batches in hand to settle (or CLOSE_GRACE_MS). */
  private readonly allSettled = new WakeableDelay();
  private queued = 0;
  private queuedBytes = 0;
  private readonly waiters: Waiter[] = [];
  private reader: ((b: Batch | null) => void) | undefined;
  private server: AvroServer | undefined;
  private closed = false;
  readonly stats = { batches: 0, timedOut: 0, abandoned: 0, delivered: 0, failed: 0 };
  private readonly queueBytes: number;
  private readonly requestTimeoutMs: number;

  constructor(
    readonly name: string,
    readonly opts: AvroSourceOptions,
    private readonly logger: Logger,
  ) {
    this.queueBytes = opts.queueBytes ?? DEFAULT_QUEUE_BYTES;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The bound port (useful when configured as 0). */
  get port(): number {
    return this.server?.port ?? this.opts.port;
  }

  /** Bytes of the request frames whose events are received and not yet taken by the node. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Connections accepted and closed by the limits (undefined while closed). */
  get connections(): Readonly<GuardStats> | undefined {
    return this.server?.connectionStats;
  }

  async open(): Promise<void> {
    if (this.server) return;
    this.closed = false;
    // Sluice agents ask this port which end-to-end groups are acknowledged (reliability/ack-service.ts);
    // clients naming AvroSourceProtocol in the handshake never see the extra message.
    this.server = await listenFlumeSource(
      { ...this.opts, extensions: [collectorProtocol] },
      {
        ...avroSourceHandlers((events, peer, frameBytes) => this.receive(events, peer, frameBytes)),
        ...checkAckHandlers(),
      },
      this.logger,
      this.name,
    );
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.closed) return null;
    let q = this.queue.shift();
    // A sender that has gone got no OK and will send its batches again: delivering them would duplicate.
    while (q?.peer.closed) {
      this.dequeued(q);
      this.stats.abandoned += q.events.length;
      q = this.queue.shift();
    }
    if (q !== undefined) {
      this.dequeued(q);
      this.admit();
      return this.handOut(q);
    }
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const server = this.server;
    this.server = undefined;
    // The senders of batches not yet delivered get FAILED (or, once their connection drops, nothing)
    // and resend.
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve(Status.FAILED);
    }
    for (const q of this.queue.splice(0)) {
      this.dequeued(q);
      q.resolve(Status.FAILED);
    }
    const r = this.reader;
    this.reader = undefined;
    r?.(null);
    if (this.inHand.size > 0) {
      // The node is still delivering the batches in hand; their acks answer their senders.
      await this.allSettled.wait(CLOSE_GRACE_MS);
      for (const q of this.inHand) q.resolve(Status.FAILED);
      this.inHand.clear();
      // Let the last answers reach the socket (compression and TLS write asynchronously) before closing.
      await new Promise((res) => setTimeout(res, 50));
    }
    if (server) await server.close();
  }

  private receive(events: Event[], peer: PeerInfo, frameBytes: number): StatusValue | Promise<StatusValue> {
    if (this.closed) throw new SluiceError('SLUICE_CLOSED', `${this.name} is closing`);
    if (events.length === 0) return Status.OK;
    this.stats.batches++;
    // The bodies are views of their frame: the frame, headers included, is what the queue keeps alive.
    const bytes = frameBytes;
    return new Promise((resolve) => {
      // An empty queue takes any batch, so a batch larger than the queue cannot wait forever.
      if (this.waiters.length === 0 && this.fits(events.length, bytes)) {
        this.push({ events, peer, bytes, resolve });
        return;
      }
      const w: Waiter = { events, peer, bytes, resolve, timer: undefined };
      w.timer = setTimeout(() => this.expire(w), this.requestTimeoutMs);
      this.waiters.push(w);
    });
  }

  private handOut(q: Queued): Batch {
    this.inHand.add(q);
    return acked(q.events, (error) => {
      if (!this.inHand.delete(q)) return;
      if (error === undefined) {
        this.stats.delivered += q.events.length;
        q.resolve(Status.OK);
      } else {
        this.stats.failed += q.events.length;
        q.resolve(Status.FAILED);
      }
      if (this.inHand.size === 0) this.allSettled.wake();
    });
  }

  private dequeued(q: Queued): void {
    this.queued -= q.events.length;
    this.queuedBytes -= q.bytes;
  }

  private fits(n: number, bytes: number): boolean {
    return (
      this.queued === 0 ||
      (this.queued + n <= this.opts.queueSize && this.queuedBytes + bytes <= this.queueBytes)
    );
  }

  private expire(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    if (this.stats.timedOut++ === 0) {
      this.logger.warn(
        `${this.name}: answered FAILED to a batch of ${w.events.length} events that found the queue full for ${this.requestTimeoutMs} ms (the node takes events slower than they arrive); further ones are only counted`,
      );
    }
    w.resolve(Status.FAILED);
    // The batch behind it may be smaller and fit now.
    this.admit();
  }

  private push(q: Queued): void {
    const r = this.reader;
    if (r) {
      this.reader = undefined;
      r(this.handOut(q));
      return;
    }
    this.queue.push(q);
    this.queued += q.events.length;
    this.queuedBytes += q.bytes;
  }

  private admit(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      // A sender that has gone got no OK and will send the batch again: queueing it would duplicate it.
      if (w.peer.closed) {
        this.waiters.shift();
        clearTimeout(w.timer);
        this.stats.abandoned += w.events.length;
        continue;
      }
      if (!this.fits(w.events.length, w.bytes)) return;
      this.waiters.shift();
      clearTimeout(w.timer);
      this.push(w);
    }
  }
}

const DEFAULT_QUEUE_SIZE = 10_000;

const commonParams: ParamSpec[] = [
  {
    name: 'bind',
    type: 'string',
    optional: true,
    configDefault: 'sluice.source.bind',
    docs: 'Address to listen on; default sluice.source.bind (127.0.0.1). Use 0.0.0.0 to receive from other hosts, with token or ssl across networks (docs/security.md).',
  },
  {
    name: 'queueSize',
    type: 'int',
    optional: true,
    default: DEFAULT_QUEUE_SIZE,
    docs: 'Events received but not yet taken by the node; when full, answers to senders wait (backpressure).',
  },
  {
    name: 'queueBytes',
    type: 'int',
    optional: true,
    default: DEFAULT_QUEUE_BYTES,
    docs: 'Bytes of received requests (bodies, headers and framing) not yet taken by the node; when reached, answers to senders wait as for queueSize. An empty queue takes one batch of any size.',
  },
  {
    name: 'requestTimeout',
    type: 'int',
    optional: true,
    configDefault: 'flume.avro.request.timeout',
    docs: 'Milliseconds a batch may wait for room in the queue before the sender is answered FAILED (and retries); default flume.avro.request.timeout (15000).',
  },
  {
    name: 'maxHandshakeFrameSize',
    type: 'int',
    optional: true,
    default: DEFAULT_HANDSHAKE_FRAME_SIZE,
    docs: 'Bytes of a first frame read before the handshake at its head (and the token) is accepted; a frame that shows none within them closes the connection.',
  },
  ...transportParams,
  ...connectionLimitParams(),
];

function atLeast(name: string, field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${field} must be at least ${min}, got ${value}`, {
      place: { component: name, field },
    });
  }
  return value;
}

function build(args: BoundArgs, ctx: BuildContext, port: number): AvroEventSource {
  const name = args.component;
  const config = ctx.config;
  return new AvroEventSource(
    name,
    {
      ...readTransportArgs(args),
      port: checkPort(name, port),
      bind: args.optString('bind') ?? config.getString('sluice.source.bind'),
      queueSize: atLeast(name, 'queueSize', args.optInt('queueSize') ?? DEFAULT_QUEUE_SIZE, 1),
      queueBytes: atLeast(name, 'queueBytes', args.optInt('queueBytes') ?? DEFAULT_QUEUE_BYTES, 1),
      requestTimeoutMs: atLeast(
        name,
        'requestTimeout',
        args.optInt('requestTimeout') ?? config.getInt('flume.avro.request.timeout'),
        1,
      ),
      limits: readConnectionLimits(args),
      handshakeFrameSize: atLeast(
        name,
        'maxHandshakeFrameSize',
        args.optInt('maxHandshakeFrameSize') ?? DEFAULT_HANDSHAKE_FRAME_SIZE,
        1024,
      ),
    },
    ctx.logger.child(name),
  );
}

const DOCS_TAIL =
  ' Speaks Flume NG AvroSourceProtocol over Netty framing: Flume avro sinks, Flume RPC clients and Sluice avro sinks can all send to it. Events keep the timestamp, host and headers they were sent with. A batch is answered OK once the node delivered it and FAILED when it could not, so the sender resends it.';

export const avroSource: SourceDef = {
  kind: 'source',
  name: 'avroSource',
  aliases: ['avro'],
  docs: `Receives events on an Avro RPC port (Flume NG's avro source).${DOCS_TAIL}`,
  params: [
    { name: 'port', type: 'int', docs: 'TCP port to listen on (0 picks a free one).' },
    ...commonParams,
  ],
  build: (args, ctx) => build(args, ctx, args.int('port')),
};

export const rpcSource: SourceDef = {
  kind: 'source',
  name: 'rpcSource',
  docs: `Receives events from rpcSink and agent sinks of other nodes on the given port.${DOCS_TAIL}`,
  params: [{ name: 'port', type: 'int', docs: 'TCP port to listen on.' }, ...commonParams],
  build: (args, ctx) => build(args, ctx, args.int('port')),
};

export const collectorSource: SourceDef = {
  kind: 'source',
  name: 'collectorSource',
  docs: `A collector's source: receives events from agent sinks (agentSink, agentBESink, agentE2ESink ...).${DOCS_TAIL}`,
  params: [
    {
      name: 'port',
      type: 'int',
      optional: true,
      // No literal default: the binder prefers one over configDefault, and the site config must win.
      configDefault: 'flume.collector.port',
      docs: 'TCP port to listen on; default flume.collector.port (35853).',
    },
    ...commonParams,
  ],
  build: (args, ctx) => build(args, ctx, args.optInt('port') ?? ctx.config.getInt('flume.collector.port')),
};
