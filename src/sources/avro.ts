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
import type { AnyHandler, AvroServer, PeerInfo } from '../rpc/avro/server.js';
import type { ConnectionLimits, GuardStats } from '../rpc/connection-guard.js';

/**
 * Sources that serve Flume NG's AvroSourceProtocol (what Flume's AvroSink, NettyAvroRpcClient, Spark's
 * examples and Sluice's own avro sinks send to): one implementation behind the dataflow spellings
 * (avroSource, rpcSource, collectorSource, here) and the agent-file type `avro` (avro-ng.ts).
 *
 * Each received batch is handed out whole by `next()` with an ack (core/ack.ts, docs/acks.md) and
 * answered OK only once the ack settles ok (a node's sink tree accepted it, an agent's channel put
 * committed), FAILED when it settles failed (the sender keeps the batch and resends it). A connection
 * handles many requests at once and answers them in order, so a pipelining sender keeps its window full
 * while earlier batches are delivered. Batches wait in a queue bounded in events and in request bytes;
 * while it is full new batches wait for room, and the connection reads no further requests past a few
 * MiB, so the sender's window fills and it slows down (backpressure reaches across the network instead
 * of events being dropped or memory growing).
 *
 * The request timeout (flume.avro.request.timeout) answers FAILED to a batch that takes too long: one
 * that cannot find room in the queue (`timeoutScope` 'admission', the dataflow spellings, whose node
 * may hold a batch long while its sinks retry), or one not delivered at all in that time ('delivery',
 * the agent's: Flume's AvroSource answers FAILED when its channel put fails). A batch answered FAILED
 * while its put still goes on is counted when it commits after all (`deliveredAfterFailed`): the
 * sender's resend duplicates it, at least once as Flume promises.
 */
export interface AvroSourceOptions extends TransportArgs {
  port: number;
  bind: string;
  /** Most events queued (unbounded when absent: an agent's channels bound what it takes). */
  queueSize?: number | undefined;
  /** Most request bytes queued; the queue always takes one batch, however large, when empty. */
  queueBytes?: number | undefined;
  /** A batch taking longer than this is answered FAILED (flume.avro.request.timeout). */
  requestTimeoutMs?: number | undefined;
  /** What the request timeout covers: finding room in the queue (default), or the whole delivery. */
  timeoutScope?: 'admission' | 'delivery' | undefined;
  /** Refuses a peer (its connection is closed) before any request of it is decoded. */
  peerFilter?: ((address: string) => SluiceError | undefined) | undefined;
  limits?: ConnectionLimits | undefined;
  /** Bytes of a first frame read before its handshake is accepted (FrameDecoder's gate). */
  handshakeFrameSize?: number | undefined;
}

/** A received batch, from its arrival until its sender is answered. */
interface Pending {
  events: Event[];
  peer: PeerInfo;
  /** The request frame's bytes: its events are views of it, so it is what the queue keeps alive. */
  bytes: number;
  resolve: (s: StatusValue) => void;
  timer: NodeJS.Timeout | undefined;
  /** Answered FAILED at the request timeout while the node still held it. */
  expired: boolean;
}

const DEFAULT_QUEUE_BYTES = 64 * 1024 * 1024;
/** How long close() waits for the node to deliver the batches in hand before answering FAILED. */
const CLOSE_GRACE_MS = 5000;
/** How long close() lets the last answers (compressed, encrypted) reach the sockets before dropping them. */
const ANSWER_FLUSH_MS = 2000;
/** flume.avro.request.timeout's default, for sources built without a site configuration. */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export class AvroEventSource implements EventSource {
  private readonly queue: Pending[] = [];
  /** Batches waiting for room in the queue, oldest first. */
  private readonly waiters: Pending[] = [];
  /** Batches handed out whose acks have not settled. */
  private readonly inHand = new Set<Pending>();
  /** Close waits here for the batches in hand to settle (or CLOSE_GRACE_MS). */
  private readonly allSettled = new WakeableDelay();
  private queued = 0;
  private queuedBytes = 0;
  private reader: ((b: Batch | null) => void) | undefined;
  private reading: Promise<Batch | null> | undefined;
  private server: AvroServer | undefined;
  private closed = false;
  /**
   * Events of batches received (`batches` counts them), delivered (answered OK), answered FAILED,
   * dropped because their sender hung up first (`abandoned`); batches answered FAILED at the request
   * timeout, and requests of peers the filter refused.
   */
  readonly stats = {
    batches: 0,
    delivered: 0,
    failed: 0,
    timedOut: 0,
    deliveredAfterFailed: 0,
    abandoned: 0,
    refused: 0,
  };
  private readonly queueSize: number;
  private readonly queueBytes: number;
  private readonly requestTimeoutMs: number;
  /** The request timeout runs until the batch is delivered, not only until it is queued. */
  private readonly untilDelivered: boolean;

  constructor(
    readonly name: string,
    readonly opts: AvroSourceOptions,
    private readonly logger: Logger,
  ) {
    const unbounded = opts.queueSize === undefined;
    this.queueSize = opts.queueSize ?? Number.POSITIVE_INFINITY;
    this.queueBytes = opts.queueBytes ?? (unbounded ? Number.POSITIVE_INFINITY : DEFAULT_QUEUE_BYTES);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.untilDelivered = opts.timeoutScope === 'delivery';
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
    const handlers = {
      ...avroSourceHandlers((events, peer, frameBytes) => this.receive(events, peer, frameBytes)),
      ...checkAckHandlers(),
    };
    const filter = this.opts.peerFilter;
    this.server = await listenFlumeSource(
      { ...this.opts, extensions: [collectorProtocol] },
      filter ? this.filtered(handlers, filter) : handlers,
      this.logger,
      this.name,
    );
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.closed) return null;
    let p = this.queue.shift();
    // A sender that has gone got no OK and will send its batches again: delivering them would duplicate.
    while (p?.peer.closed) {
      this.dequeued(p);
      clearTimeout(p.timer);
      this.stats.abandoned += p.events.length;
      p = this.queue.shift();
    }
    if (p !== undefined) {
      this.dequeued(p);
      this.admit();
      return this.handOut(p);
    }
    // A caller that asks again before the last answer came (it gave up waiting) gets that same
    // answer: a second promise would leave the first holding the next batch, which nobody would take.
    this.reading ??= new Promise<Batch | null>((resolve) => {
      this.reader = resolve;
    });
    return this.reading;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The senders of batches not yet delivered get FAILED (or, once their connection drops, nothing)
    // and resend.
    for (const p of this.waiters.splice(0)) this.fail(p);
    for (const p of this.queue.splice(0)) {
      this.dequeued(p);
      this.fail(p);
    }
    const r = this.reader;
    this.reader = undefined;
    this.reading = undefined;
    r?.(null);
    if (this.inHand.size > 0) {
      // The node is still delivering the batches in hand; their acks answer their senders.
      await this.allSettled.wait(CLOSE_GRACE_MS);
      for (const p of this.inHand) this.fail(p);
      this.inHand.clear();
    }
    const server = this.server;
    this.server = undefined;
    await server?.close(ANSWER_FLUSH_MS);
  }

  private receive(events: Event[], peer: PeerInfo, frameBytes: number): StatusValue | Promise<StatusValue> {
    if (this.closed) return Status.FAILED;
    if (events.length === 0) return Status.OK;
    this.stats.batches++;
    return new Promise((resolve) => {
      const p: Pending = { events, peer, bytes: frameBytes, resolve, timer: undefined, expired: false };
      if (this.untilDelivered) p.timer = setTimeout(() => this.expire(p), this.requestTimeoutMs);
      // An empty queue takes any batch, so a batch larger than the queue cannot wait forever.
      if (this.waiters.length === 0 && this.fits(p)) {
        this.push(p);
        return;
      }
      p.timer ??= setTimeout(() => this.expire(p), this.requestTimeoutMs);
      this.waiters.push(p);
    });
  }

  private handOut(p: Pending): Batch {
    this.inHand.add(p);
    return acked(p.events, (error) => this.settled(p, error));
  }

  /** The node delivered the batch (OK to its sender) or could not (FAILED: the sender resends). */
  private settled(p: Pending, error: Error | undefined): void {
    if (!this.inHand.delete(p)) return;
    if (error !== undefined) this.fail(p);
    else {
      clearTimeout(p.timer);
      this.stats.delivered += p.events.length;
      // Its sender already heard FAILED and will send it again.
      if (p.expired) this.stats.deliveredAfterFailed += p.events.length;
      else p.resolve(Status.OK);
    }
    if (this.inHand.size === 0) this.allSettled.wake();
  }

  private fail(p: Pending): void {
    clearTimeout(p.timer);
    if (p.expired) return;
    this.stats.failed += p.events.length;
    p.resolve(Status.FAILED);
  }

  /**
   * The request timeout passed: a batch still waiting for room or queued is dropped (its sender still
   * has it), one in hand is still delivered when it can be, which the sender's retry then duplicates.
   */
  private expire(p: Pending): void {
    const w = this.waiters.indexOf(p);
    let queued = -1;
    if (w >= 0) this.waiters.splice(w, 1);
    else if ((queued = this.queue.indexOf(p)) >= 0) {
      this.queue.splice(queued, 1);
      this.dequeued(p);
    } else if (!this.inHand.has(p)) return;
    if (this.stats.timedOut++ === 0) {
      this.logger.warn(
        w >= 0
          ? `${this.name}: answered FAILED to a batch of ${p.events.length} events that found the queue full for ${this.requestTimeoutMs} ms (the node takes events slower than they arrive); further ones are only counted`
          : `${this.name}: answered FAILED to a batch of ${p.events.length} events not committed within ${this.requestTimeoutMs} ms (a channel is full); further ones are only counted`,
      );
    }
    this.fail(p);
    p.expired = true;
    // The batch behind it may be smaller and fit now.
    if (w >= 0 || queued >= 0) this.admit();
  }

  private dequeued(p: Pending): void {
    this.queued -= p.events.length;
    this.queuedBytes -= p.bytes;
  }

  private fits(p: Pending): boolean {
    return (
      this.queued === 0 ||
      (this.queued + p.events.length <= this.queueSize && this.queuedBytes + p.bytes <= this.queueBytes)
    );
  }

  private push(p: Pending): void {
    const r = this.reader;
    if (r) {
      this.reader = undefined;
      this.reading = undefined;
      r(this.handOut(p));
      return;
    }
    this.queue.push(p);
    this.queued += p.events.length;
    this.queuedBytes += p.bytes;
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
      if (!this.fits(w)) return;
      this.waiters.shift();
      if (!this.untilDelivered) clearTimeout(w.timer);
      this.push(w);
    }
  }

  /** Checks the peer before decoding: a refused peer's connection is closed (Flume drops it at accept). */
  private filtered(
    handlers: Record<string, AnyHandler>,
    refusal: (address: string) => SluiceError | undefined,
  ): Record<string, AnyHandler> {
    const out: Record<string, AnyHandler> = {};
    for (const [name, h] of Object.entries(handlers)) {
      out[name] = {
        decode: (r, peer: PeerInfo) => {
          const refused = refusal(peer.address);
          if (refused !== undefined) {
            this.stats.refused++;
            throw refused;
          }
          return h.decode(r, peer);
        },
        handle: (req, peer) => h.handle(req, peer),
        encode: (w, res) => h.encode(w, res),
      };
    }
    return out;
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
