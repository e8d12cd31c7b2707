import type { BoundArgs, BuildContext, ParamSpec, SourceDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import {
  checkPort,
  listenFlumeSource,
  readTransportArgs,
  type TransportArgs,
  transportParams,
} from '../rpc/avro/component-options.js';
import { avroSourceHandlers } from '../rpc/avro/flume-protocol.js';
import { Status, type StatusValue } from '../rpc/avro/protocols.js';
import type { AvroServer } from '../rpc/avro/server.js';

/**
 * Sources that serve Flume NG's AvroSourceProtocol (what Flume's AvroSink, NettyAvroRpcClient, Spark's
 * examples and Sluice's own avro sinks send to).
 *
 * Received batches go into a bounded queue that `next()` drains. A batch is answered OK only once it is
 * in the queue; while the queue is full the answer waits, so the sender's window fills and it slows
 * down (backpressure reaches across the network instead of events being dropped or refused).
 */
export interface AvroSourceOptions extends TransportArgs {
  port: number;
  bind: string;
  queueSize: number;
}

interface Waiter {
  events: Event[];
  resolve: (s: StatusValue) => void;
}

export class AvroEventSource implements EventSource {
  private readonly queue: Batch[] = [];
  private queued = 0;
  private readonly waiters: Waiter[] = [];
  private reader: ((b: Batch | null) => void) | undefined;
  private server: AvroServer | undefined;
  private closed = false;

  constructor(
    readonly name: string,
    readonly opts: AvroSourceOptions,
    private readonly logger: Logger,
  ) {}

  /** The bound port (useful when configured as 0). */
  get port(): number {
    return this.server?.port ?? this.opts.port;
  }

  async open(): Promise<void> {
    if (this.server) return;
    this.closed = false;
    this.server = await listenFlumeSource(
      this.opts,
      avroSourceHandlers((events) => this.receive(events)),
      this.logger,
      this.name,
    );
  }

  next(): Batch | null | Promise<Batch | null> {
    const b = this.queue.shift();
    if (b !== undefined) {
      this.queued -= b.length;
      this.admit();
      return b;
    }
    if (this.closed) return null;
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const server = this.server;
    this.server = undefined;
    // The senders of batches still waiting for room get no OK: their connections drop and they resend.
    for (const w of this.waiters.splice(0)) w.resolve(Status.FAILED);
    if (server) await server.close();
    const r = this.reader;
    this.reader = undefined;
    r?.(null);
  }

  private receive(events: Event[]): StatusValue | Promise<StatusValue> {
    if (this.closed) throw new SluiceError('SLUICE_CLOSED', `${this.name} is closing`);
    if (events.length === 0) return Status.OK;
    // An empty queue takes any batch, so a batch larger than the queue cannot wait forever.
    if (
      this.waiters.length === 0 &&
      (this.queued === 0 || this.queued + events.length <= this.opts.queueSize)
    ) {
      this.push(events);
      return Status.OK;
    }
    return new Promise((resolve) => this.waiters.push({ events, resolve }));
  }

  private push(events: Event[]): void {
    const r = this.reader;
    if (r) {
      this.reader = undefined;
      r(events);
      return;
    }
    this.queue.push(events);
    this.queued += events.length;
  }

  private admit(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (this.queued > 0 && this.queued + w.events.length > this.opts.queueSize) return;
      this.waiters.shift();
      this.push(w.events);
      w.resolve(Status.OK);
    }
  }
}

const DEFAULT_QUEUE_SIZE = 10_000;

const commonParams: ParamSpec[] = [
  {
    name: 'bind',
    type: 'string',
    optional: true,
    default: '0.0.0.0',
    docs: 'Address to listen on. All interfaces by default, as Flume, since collectors receive from other hosts; use 127.0.0.1 for local-only, and token or ssl across networks.',
  },
  {
    name: 'queueSize',
    type: 'int',
    optional: true,
    default: DEFAULT_QUEUE_SIZE,
    docs: 'Events received but not yet taken by the node; when full, answers to senders wait (backpressure).',
  },
  ...transportParams,
];

function build(args: BoundArgs, ctx: BuildContext, port: number): AvroEventSource {
  const name = args.component;
  const queueSize = args.optInt('queueSize') ?? DEFAULT_QUEUE_SIZE;
  if (!Number.isInteger(queueSize) || queueSize < 1) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `queueSize must be at least 1, got ${queueSize}`, {
      place: { component: name, field: 'queueSize' },
    });
  }
  return new AvroEventSource(
    name,
    {
      ...readTransportArgs(args),
      port: checkPort(name, port),
      bind: args.optString('bind') ?? '0.0.0.0',
      queueSize,
    },
    ctx.logger.child(name),
  );
}

const DOCS_TAIL =
  ' Speaks Flume NG AvroSourceProtocol over Netty framing: Flume avro sinks, Flume RPC clients and Sluice avro sinks can all send to it. Events keep the timestamp, host and headers they were sent with.';

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
