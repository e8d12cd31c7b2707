import type { BoundArgs, BuildContext, SinkDef } from '../catalog/types.js';
import { AckedWriteAheadSink, type AckRoute, SEND_WINDOW } from '../reliability/acked-write-ahead.js';
import { ackClientFor, writeAheadOptions } from '../reliability/acked-write-ahead-decos.js';
import {
  AvroEventSink,
  type Collector,
  chainCollectors,
  collectorsParam,
  hostParam,
  parseCollector,
  portParam,
  sinkOptions,
  sinkParams,
} from './avro.js';

/**
 * The end-to-end agent sinks (Flume OG's agentE2ESink, agentSink and agentE2EChain). The seed
 * translates agentE2ESink("c") to `{ ackedWriteAhead => { lazyOpen => { stubbornAppend => rpcSink("c") } } }`;
 * here it is that composition built directly: the write-ahead sender already connects lazily, reopens a
 * broken connection and retries with backoff, and for a chain it tries the collectors in order, going
 * back to the first as soon as its backoff allows. Each group is asked about at the collector it went to.
 */
function e2eSink(
  args: BoundArgs,
  ctx: BuildContext,
  collectors: Collector[],
  component: string,
): AckedWriteAheadSink {
  const opts = sinkOptions(args);
  const routes: AckRoute[] = collectors.map((c) => {
    const sink = new AvroEventSink(component, c, opts);
    return { name: `${c.host}:${c.port}`, sink, acks: ackClientFor(sink, ctx), window: SEND_WINDOW };
  });
  return new AckedWriteAheadSink(routes, writeAheadOptions(undefined, ctx, true, component));
}

const DOCS_TAIL =
  " Accepted events are durable in the node's write-ahead log (flume.agent.logdir) before the append returns, and are sent again until the collector acknowledges them (docs/reliability.md).";

function single(name: string, docs: string): SinkDef {
  return {
    kind: 'sink',
    name,
    nodeLog: 'writeahead',
    docs: docs + DOCS_TAIL,
    params: [hostParam(true), portParam, ...sinkParams],
    build: (args, ctx) => {
      const host = args.optString('host') ?? ctx.config.getString('flume.collector.event.host');
      const port = args.optInt('port') ?? ctx.config.getInt('flume.collector.port');
      return e2eSink(args, ctx, [parseCollector(host, port, args.component, 'host')], args.component);
    },
  };
}

export const agentE2ESink = single(
  'agentE2ESink',
  'End-to-end agent sink: write-ahead log and acknowledgements from the collector (a collectorSource feeding a collectorSink).',
);

export const agentSink = single('agentSink', 'Agent sink; the same as agentE2ESink.');

export const agentE2EChain: SinkDef = {
  kind: 'sink',
  name: 'agentE2EChain',
  nodeLog: 'writeahead',
  docs:
    'End-to-end agent sink over a chain of collectors: each group goes to the first collector that takes it, ' +
    'the primary is tried again as soon as its backoff allows, and when all are down the data waits on disk.' +
    DOCS_TAIL,
  params: [collectorsParam],
  build: (args, ctx) => e2eSink(args, ctx, chainCollectors(args, ctx), args.component),
};

export const AGENT_E2E_SINKS: readonly SinkDef[] = [agentSink, agentE2ESink, agentE2EChain];
