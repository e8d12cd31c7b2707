import type { BuildContext, DecoratorDef, ParamSpec } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { EventSink } from '../core/pipeline.js';
import { loadTls, type TransportArgs } from '../rpc/avro/component-options.js';
import { type AckClient, CollectorAckClient } from './ack-service.js';
import {
  AckedWriteAheadSink,
  type AckRoute,
  SEND_WINDOW,
  type WriteAheadOptions,
} from './acked-write-ahead.js';
import { agentLogDir } from './logdir.js';

/** What an Avro client sink shows of itself: enough to ask the same collector about acks. */
export interface AvroTarget {
  name: string;
  target: { host: string; port: number };
  opts: TransportArgs & { connectTimeout?: number; requestTimeout?: number };
}

function isAvroTarget(s: unknown): s is AvroTarget {
  const t = (s as Partial<AvroTarget>).target;
  return typeof t === 'object' && t !== null && typeof t.host === 'string' && typeof t.port === 'number';
}

/**
 * The Avro client at the bottom of a decorator chain (`lazyOpen => stubbornAppend => rpcSink(...)`):
 * ackedWriteAhead asks the collector it sends to. Decorators keep their sub sink as `child`, catalog
 * sinks are wrapped as `inner`; a sink tree with fan-out or failover has no single collector.
 */
export function findAvroTarget(sink: EventSink): AvroTarget | undefined {
  let s: unknown = sink;
  for (let depth = 0; depth < 32 && s !== undefined && s !== null; depth++) {
    if (isAvroTarget(s)) return s;
    const o = s as { child?: unknown; inner?: unknown };
    s = o.child ?? o.inner;
  }
  return undefined;
}

/**
 * Whom the agent asks about acknowledgements: the master when the node runs under one (it sets
 * `ctx.acks`), else the collector an Avro sink sends to, over the same transport settings.
 */
export function ackClientFor(t: AvroTarget, ctx: BuildContext): AckClient {
  const viaMaster = ctx.acks?.();
  if (viaMaster !== undefined) return viaMaster;
  return new CollectorAckClient({
    host: t.target.host,
    port: t.target.port,
    compression: t.opts.compression,
    compressionLevel: t.opts.compressionLevel,
    maxFrameSize: t.opts.maxFrameSize,
    tls: loadTls(t.opts, t.name, 'client'),
    token: t.opts.token,
    connectTimeoutMs: t.opts.connectTimeout,
    requestTimeoutMs: t.opts.requestTimeout,
  });
}

const maxMillisParam: ParamSpec = {
  name: 'maxmillis',
  type: 'int',
  optional: true,
  configDefault: 'flume.agent.logdir.maxage',
  docs: 'Milliseconds a group stays open before it is rolled and sent whole, and the longest retry backoff; default flume.agent.logdir.maxage.',
};

/** The options every write-ahead sink of node `ctx.nodeName` shares, from the site configuration. */
export function writeAheadOptions(
  given: number | undefined,
  ctx: BuildContext,
  acked: boolean,
  component: string,
): WriteAheadOptions {
  const maxMillis = given ?? ctx.config.getInt('flume.agent.logdir.maxage');
  if (maxMillis <= 0) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `maxmillis must be positive, got ${maxMillis}`, {
      place: { component, field: 'maxmillis' },
    });
  }
  const logger = ctx.logger.child(component);
  return {
    dir: agentLogDir(ctx.config, ctx.nodeName, 'writeahead', logger),
    node: ctx.nodeName,
    acked,
    maxMillis,
    retransmitMs: ctx.config.getInt('flume.agent.logdir.retransmit'),
    pollMs: ctx.config.getInt('flume.agent.ack.poll'),
    closeTimeoutMs: ctx.config.getInt('flume.agent.ack.close.timeout'),
    handover: ctx.handover,
    logger,
  };
}

export const ackedWriteAheadDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'ackedWriteAhead',
  nodeLog: 'writeahead',
  docs:
    'Write-ahead log with end-to-end acknowledgements: an append returns once its batch is durable in the ' +
    "node's log under flume.agent.logdir (group commit), then the batch is sent by a sender of its own in " +
    'ack groups (begin and end markers, a checksum) that stay on disk until the collector says they are ' +
    'durable. Groups not acknowledged after flume.agent.logdir.retransmit are sent again; failed sends back ' +
    'off exponentially up to maxmillis. Acknowledgements are asked of the collector of the Avro sink below ' +
    '(checkAck on its port, every flume.agent.ack.poll ms), or of the master when the node runs under one.',
  params: [maxMillisParam],
  build: (args, ctx, child) => {
    const opts = writeAheadOptions(args.optInt('maxmillis'), ctx, true, 'ackedWriteAhead');
    const target = findAvroTarget(child);
    if (!target) {
      opts.logger.warn(
        'no Avro sink below ackedWriteAhead: nobody to ask about acknowledgements, so a group is done once the sub sink accepted it',
      );
    }
    const route: AckRoute = {
      name: target ? `${target.target.host}:${target.target.port}` : 'sub sink',
      sink: child,
      acks: target ? ackClientFor(target, ctx) : undefined,
      // Straight onto an Avro client the sends pipeline; through decorators each is awaited.
      ...((target as unknown) === child ? { window: SEND_WINDOW } : {}),
    };
    return new AckedWriteAheadSink([route], opts);
  },
};

export const writeAheadDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'writeAhead',
  nodeLog: 'writeahead',
  docs:
    "Write-ahead log: an append returns once its batch is durable in the node's log under " +
    'flume.agent.logdir (group commit); a sender of its own then hands the batches to the sub sink, retrying ' +
    'with backoff up to maxmillis, and deletes them once accepted. Receiving and sending are decoupled; a ' +
    'restart sends what was not yet accepted.',
  params: [maxMillisParam],
  build: (args, ctx, child) =>
    new AckedWriteAheadSink(
      [{ name: 'sub sink', sink: child }],
      writeAheadOptions(args.optInt('maxmillis'), ctx, false, 'writeAhead'),
    ),
};
