import type { BoundArgs, BuildContext, ParamSpec, SinkDef } from '../catalog/types.js';
import { readTransportArgs, transportParams } from '../components/options/transport.js';
import { errnoOf, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { OutageLog } from '../core/outage.js';
import type { EventSink, SinkCounts } from '../core/pipeline.js';
import { type Collector, parseCollector } from '../reliability/translate.js';
import { loadTls, type TransportArgs } from '../rpc/avro/component-options.js';
import { FlumeRpcClient, statusName } from '../rpc/avro/flume-protocol.js';
import { Status } from '../rpc/avro/protocols.js';
import { translationOnlySink } from './translation-only.js';

/**
 * Sinks that send to an AvroSourceProtocol server (a Sluice avro/rpc/collector source, Flume NG's avro
 * source, Spark's push receiver).
 *
 * append() splits a batch into appendBatch calls of at most `batchSize` events, pipelines up to `window`
 * of them on the connection, and resolves when every one came back OK; anything else rejects with a
 * retriable SluiceError (what failover and retry decorators act on).
 */
export interface AvroSinkOptions extends TransportArgs {
  batchSize: number;
  window: number;
  connectTimeout: number;
  requestTimeout: number;
  sluiceHeaders: boolean;
  /**
   * Milliseconds after which the connection is closed and reopened between batches (0 or absent:
   * never), so a load balancer in front of several receivers spreads long-lived senders again
   * (Flume's reset-connection-interval).
   */
  resetConnectionMs?: number | undefined;
}

// The collector address grammar is shared with the reliability translations.
export { type Collector, parseCollector };

function makeClient(
  c: Collector,
  o: AvroSinkOptions,
  component: string,
  reconnectMaxMs?: number,
): FlumeRpcClient {
  return new FlumeRpcClient({
    ...(reconnectMaxMs !== undefined ? { backoffMaxMs: reconnectMaxMs } : {}),
    host: c.host,
    port: c.port,
    compression: o.compression,
    compressionLevel: o.compressionLevel,
    maxFrameSize: o.maxFrameSize,
    tls: loadTls(o, component, 'client'),
    token: o.token,
    connectTimeoutMs: o.connectTimeout,
    requestTimeoutMs: o.requestTimeout,
    maxInFlight: o.window,
    sluiceHeaders: o.sluiceHeaders,
  });
}

/** Sends a whole batch; resolves when every appendBatch answered OK. */
async function sendBatch(
  client: FlumeRpcClient,
  batch: Batch,
  batchSize: number,
  address: string,
): Promise<void> {
  // The client holds calls beyond its in-flight window itself, so all chunks can be handed over at once.
  const calls: Promise<number>[] = [];
  for (let start = 0; start < batch.length; start += batchSize) {
    calls.push(client.appendBatch(batch, start, Math.min(batch.length, start + batchSize)));
  }
  const statuses = await Promise.all(calls);
  for (const s of statuses) {
    if (s !== Status.OK) {
      throw new SluiceError('SLUICE_RPC', `${address} answered ${statusName(s as 0 | 1 | 2)}`, {
        retriable: true,
      });
    }
  }
}

/**
 * One receiver (rpcSink, avroSink, and the agent's avro sink in avro-ng.ts): a batch that is not
 * answered OK rejects, and the caller retries (a node's failover, an agent's transaction rollback)
 * after the client's reconnect backoff.
 */
export class AvroEventSink implements EventSink {
  private client: FlumeRpcClient | undefined;
  private readonly address: string;
  private openedAt = 0;

  constructor(
    readonly name: string,
    readonly target: Collector,
    readonly opts: AvroSinkOptions,
    private readonly logger?: Logger | undefined,
  ) {
    this.address = `${target.host}:${target.port}`;
  }

  /** Connecting is lazy (first append) so a node starts even while its collector is down. */
  async open(): Promise<void> {
    if (this.client) return;
    this.client = makeClient(this.target, this.opts, this.name);
    this.openedAt = Date.now();
  }

  append(batch: Batch): void | Promise<void> {
    if (batch.length === 0) return;
    const client = this.client;
    if (!client) {
      return Promise.reject(
        new SluiceError('SLUICE_CLOSED', `${this.name} is not open`, { place: { component: this.name } }),
      );
    }
    const reset = this.opts.resetConnectionMs;
    if (reset !== undefined && reset > 0 && Date.now() - this.openedAt >= reset) return this.reconnect(batch);
    return sendBatch(client, batch, this.opts.batchSize, this.address);
  }

  private async reconnect(batch: Batch): Promise<void> {
    this.logger?.debug(`${this.name}: reset-connection-interval reached, reconnecting`);
    await this.close();
    await this.open();
    await this.append(batch);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close();
  }
}

/**
 * Batches of a best-effort sink that may be on their way at once while its first collector is connected
 * and answering: the node encodes the next batch while the collector decodes this one.
 */
const BEST_EFFORT_PIPELINE = 3;

/**
 * The longest wait before a best-effort sink tries a failed collector again. Batches meanwhile go to
 * the next collector or are dropped, so a longer wait would stretch the losses past the outage; a
 * connection attempt a second to a dead collector costs nothing.
 */
const BEST_EFFORT_RECHECK_MS = 1000;

/**
 * Best effort over a list of collectors (OG's agentBESink / agentBEChain): a batch goes to the first
 * collector that takes it; a failed collector is skipped while its reconnect backoff runs, so the
 * primary is retried later; when none takes the batch it is dropped and counted, and the sink goes on.
 * append() therefore never rejects while open.
 *
 * While the first collector is connected and its last answer was OK, append() returns once the batch is
 * handed over (up to BEST_EFFORT_PIPELINE batches unanswered), so sender and collector work at the same
 * time; a batch that then fails still fails over or is dropped and counted. Otherwise (connecting,
 * failing over) append() waits for the outcome, so stats are settled when it resolves.
 */
export class BestEffortChainSink implements EventSink {
  private clients: FlumeRpcClient[] = [];
  /** Events sent (`failovers`: batches taken by a collector other than the first), and dropped. */
  readonly stats = { sent: 0, dropped: 0, failovers: 0, failedOver: 0 };
  /** Events dropped since the last line about drops (the start of the current outage). */
  private droppedSinceLog = 0;
  private readonly pending = new Set<Promise<void>>();
  /** The last delivery went to the first collector and was answered OK. */
  private primaryHealthy = false;
  /** One per collector: a collector going down or coming back is logged once, not per retry. */
  private readonly outages: OutageLog[];

  constructor(
    readonly name: string,
    readonly collectors: Collector[],
    readonly opts: AvroSinkOptions,
    /** Already named after the component: lines do not repeat the name. */
    private readonly logger: Logger,
  ) {
    this.outages = collectors.map(
      (c) =>
        new OutageLog(logger, `collector ${c.host}:${c.port}`, {
          down: 'unreachable',
          up: 'reachable again',
        }),
    );
  }

  async open(): Promise<void> {
    if (this.clients.length === 0)
      this.clients = this.collectors.map((c) => makeClient(c, this.opts, this.name, BEST_EFFORT_RECHECK_MS));
  }

  append(batch: Batch): void | Promise<void> {
    if (batch.length === 0) return;
    if (this.clients.length === 0) {
      return Promise.reject(
        new SluiceError('SLUICE_CLOSED', `${this.name} is not open`, { place: { component: this.name } }),
      );
    }
    const streaming = this.primaryHealthy && this.clients[0]!.client.isConnected;
    const p = this.deliver(batch);
    if (!streaming) return p;
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
    if (this.pending.size >= BEST_EFFORT_PIPELINE) return Promise.race(this.pending);
  }

  /** Sends to the first collector that takes the batch, else drops it; never rejects. */
  private async deliver(batch: Batch): Promise<void> {
    for (let i = 0; i < this.clients.length; i++) {
      const client = this.clients[i]!;
      if (client.client.backoffRemaining() > 0) continue;
      try {
        await sendBatch(client, batch, this.opts.batchSize, client.client.address);
        this.stats.sent += batch.length;
        if (i > 0) {
          this.stats.failovers++;
          this.stats.failedOver += batch.length;
        }
        this.primaryHealthy = i === 0;
        this.outages[i]!.recovered();
        if (this.droppedSinceLog > 0) this.logDrops('delivering again after dropping');
        return;
      } catch (e) {
        this.primaryHealthy = false;
        if (this.clients.length === 0) return;
        this.outages[i]!.failed(e, errnoOf(e) ?? (e as Error).message);
      }
    }
    this.drop(batch.length);
  }

  counts(): SinkCounts {
    return { delivered: this.stats.sent, dropped: this.stats.dropped, retried: this.stats.failedOver };
  }

  async close(): Promise<void> {
    // Batches already handed over get their answers (or fail over, or are counted as dropped) first.
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    const clients = this.clients;
    this.clients = [];
    await Promise.all(clients.map((c) => c.close()));
    if (this.droppedSinceLog > 0) this.logDrops('closing after dropping');
  }

  /** The first drop of an outage is logged at once; the rest are counted and told when it ends. */
  private drop(n: number): void {
    if (this.droppedSinceLog === 0)
      this.logger.warn('no collector available: dropping and counting events until one answers');
    this.stats.dropped += n;
    this.droppedSinceLog += n;
  }

  private logDrops(what: string): void {
    this.logger.warn(
      `${what} ${this.droppedSinceLog} events with no collector available (${this.stats.dropped} in total)`,
    );
    this.droppedSinceLog = 0;
  }
}

/**
 * appendBatch calls in flight per connection. With 4, sender and collector took turns (each idle
 * while the other worked: about 400,000 events/s of 100 bytes on loopback); 16 keeps both busy
 * (about 600,000) and costs at most 16 unanswered calls of memory. See docs/benchmarks-notes.md.
 */
const DEFAULT_WINDOW = 16;

export const sinkParams: ParamSpec[] = [
  {
    name: 'batchSize',
    type: 'int',
    optional: true,
    default: 100,
    docs: 'Events per appendBatch call (Flume batch-size).',
  },
  {
    name: 'window',
    type: 'int',
    optional: true,
    default: DEFAULT_WINDOW,
    docs: 'appendBatch calls in flight at once on the connection (pipelining).',
  },
  {
    name: 'connectTimeout',
    type: 'int',
    optional: true,
    default: 20000,
    docs: 'Milliseconds to establish the connection (Flume connect-timeout).',
  },
  {
    name: 'requestTimeout',
    type: 'int',
    optional: true,
    default: 20000,
    docs: 'Milliseconds to wait for each answer (Flume request-timeout).',
  },
  {
    name: 'trustAllCerts',
    type: 'bool',
    optional: true,
    default: false,
    docs: 'With ssl, accept any server certificate (Flume trust-all-certs; for tests only).',
  },
  {
    name: 'sluiceHeaders',
    type: 'bool',
    optional: true,
    default: true,
    docs: 'Send sluice.priority and sluice.nanos headers (off: only Flume NG headers timestamp and host are added).',
  },
  ...transportParams,
];

function positiveInt(args: BoundArgs, field: string, dflt: number): number {
  const v = args.optInt(field) ?? dflt;
  if (!Number.isInteger(v) || v < 1) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${field} must be a positive integer, got ${v}`, {
      place: { component: args.component, field },
    });
  }
  return v;
}

export function sinkOptions(args: BoundArgs): AvroSinkOptions {
  return {
    ...readTransportArgs(args),
    batchSize: positiveInt(args, 'batchSize', 100),
    window: positiveInt(args, 'window', DEFAULT_WINDOW),
    connectTimeout: positiveInt(args, 'connectTimeout', 20000),
    requestTimeout: positiveInt(args, 'requestTimeout', 20000),
    sluiceHeaders: args.optBool('sluiceHeaders') ?? true,
  };
}

export const hostParam = (optional: boolean): ParamSpec => ({
  name: 'host',
  type: 'string',
  docs: optional
    ? 'Collector host; default flume.collector.event.host.'
    : 'Host (name or address) of the receiving node.',
  // No literal default next to configDefault: the binder would prefer it over the site config.
  ...(optional ? { optional: true, configDefault: 'flume.collector.event.host' } : {}),
});

export const portParam: ParamSpec = {
  name: 'port',
  type: 'int',
  optional: true,
  configDefault: 'flume.collector.port',
  docs: 'Port of the receiving source; default flume.collector.port (35853).',
};

function directSink(args: BoundArgs, ctx: BuildContext, hostDefault?: string): AvroEventSink {
  const host = args.optString('host') ?? hostDefault ?? '';
  const port = args.optInt('port') ?? ctx.config.getInt('flume.collector.port');
  const target = parseCollector(host, port, args.component, 'host');
  return new AvroEventSink(args.component, target, sinkOptions(args));
}

const SINK_DOCS_TAIL =
  ' Speaks Flume NG AvroSourceProtocol: the receiver may be a Sluice rpc/avro/collector source, a Flume NG avro source or a Spark Flume push receiver.';

export const rpcSink: SinkDef = {
  kind: 'sink',
  name: 'rpcSink',
  docs: `Sends events to rpcSource of another node; fails (for failover decorators) when the receiver does not answer OK.${SINK_DOCS_TAIL}`,
  params: [hostParam(false), portParam, ...sinkParams],
  build: (args, ctx) => directSink(args, ctx),
};

export const avroSink: SinkDef = {
  kind: 'sink',
  name: 'avroSink',
  aliases: ['avro'],
  docs: `Sends events to an Avro RPC source (Flume NG's avro sink).${SINK_DOCS_TAIL}`,
  params: [hostParam(false), portParam, ...sinkParams],
  build: (args, ctx) => directSink(args, ctx),
};

export const agentBESink: SinkDef = {
  kind: 'sink',
  name: 'agentBESink',
  docs: `Best-effort agent sink: sends to a collector and drops (and counts) events it cannot deliver, never blocking the node.${SINK_DOCS_TAIL}`,
  params: [hostParam(true), portParam, ...sinkParams],
  build: (args, ctx) => {
    const host = args.optString('host') ?? ctx.config.getString('flume.collector.event.host');
    const port = args.optInt('port') ?? ctx.config.getInt('flume.collector.port');
    const c = parseCollector(host, port, args.component, 'host');
    return new BestEffortChainSink(args.component, [c], sinkOptions(args), ctx.logger.child(args.component));
  },
};

/** The collectors argument of the agent chains (agentBEChain, agentE2EChain). */
export const collectorsParam: ParamSpec = {
  name: 'collectors',
  type: 'string',
  variadic: true,
  docs: '"host" or "host:port" of each collector, in order of preference (port default flume.collector.port).',
};

/** The collectors a chain names, in order; at least one. */
export function chainCollectors(args: BoundArgs, ctx: BuildContext): Collector[] {
  const specs = args.rest<string>('collectors');
  if (specs.length === 0) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${args.component} needs at least one collector`, {
      place: { component: args.component, field: 'collectors' },
    });
  }
  const port = ctx.config.getInt('flume.collector.port');
  return specs.map((s) => parseCollector(s, port, args.component, 'collectors'));
}

export const agentBEChain: SinkDef = {
  kind: 'sink',
  name: 'agentBEChain',
  docs: `Best-effort over a chain of collectors: each batch goes to the first one that takes it; when all fail it is dropped and counted, and the first collector is tried again after its backoff.${SINK_DOCS_TAIL}`,
  params: [collectorsParam],
  build: (args, ctx) => {
    const collectors = chainCollectors(args, ctx);
    return new BestEffortChainSink(
      args.component,
      collectors,
      sinkOptions(args),
      ctx.logger.child(args.component),
    );
  },
};

/** A sink that compiling a spec replaces by its rewrite (reliability/translate.ts); an agent file has none. */
function translatedSink(name: string, docs: string, params: ParamSpec[]): SinkDef {
  return translationOnlySink(
    name,
    docs,
    params,
    'SLUICE_AGENT_CONFIG',
    'is a dataflow translation (docs/reliability.md): use it in a spec; in an agent file use a file channel and a failover sink group',
  );
}

export const agentDFOSink: SinkDef = translatedSink(
  'agentDFOSink',
  `Disk-failover agent sink: sends to a collector; while it fails, events are kept in a local log (flume.agent.logdir/<node>/dfo) and sent again, oldest first, once it answers. Runs as its translation \`let primary := { lazyOpen => { stubbornAppend => rpcSink(host, port) } } in < primary ? { diskFailover => { insistentOpen => primary } } >\` (sluice validate --translate). Keyword arguments go to the rpcSink.${SINK_DOCS_TAIL}`,
  [hostParam(true), portParam, ...sinkParams],
);

export const agentDFOChain: SinkDef = translatedSink(
  'agentDFOChain',
  `Disk-failover over a chain of collectors: each batch goes to the first collector that takes it (earlier ones are retried with backoff and get the traffic back); when all fail, events are kept in the local disk-failover log and sent again once one answers. Runs as its translation (sluice validate --translate).${SINK_DOCS_TAIL}`,
  [
    {
      name: 'collectors',
      type: 'string',
      variadic: true,
      docs: '"host" or "host:port" of each collector, in order of preference (port default flume.collector.port).',
    },
  ],
);
