import { SiteConfig } from '../src/core/config.js';
import { memoryLogger } from '../src/core/logger.js';
import { freePort } from '../src/core/ports.js';
import { Agent } from '../src/flow/agent/agent.js';
import { builtinAgentCatalog } from '../src/flow/agent/catalog.js';
import { SparkPoller } from '../src/rpc/avro/spark-poller.js';
import { fmt, type Row } from './harness.js';

/**
 * SparkSink drain rate: a seq source fills a memory channel as fast as it can, five Sluice pollers
 * (Spark's default parallelism) loop getEventBatch(1000) + ack over loopback, all in this process.
 */
const TOTAL = 500_000;
const POLLERS = 5;

export async function benchSpark(): Promise<Row[]> {
  const port = await freePort();
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = seq',
    `a1.sources.r1.totalEvents = ${TOTAL}`,
    'a1.sources.r1.batchSize = 1000',
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.channels.c1.capacity = 100000',
    'a1.channels.c1.transactionCapacity = 1000',
    'a1.sinks.k1.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'a1.sinks.k1.hostname = 127.0.0.1',
    `a1.sinks.k1.port = ${port}`,
    'a1.sinks.k1.threads = 10',
    'a1.sinks.k1.backoffInterval = 10',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const ctx = { config: SiteConfig.defaults(), nodeName: 'a1', allowExec: false, logger: memoryLogger() };
  const agent = Agent.fromText(text, '<bench>', 'a1', builtinAgentCatalog(), ctx);
  await agent.start();
  let drained = 0;
  const t0 = process.hrtime.bigint();
  const pollers = Array.from({ length: POLLERS }, () => new SparkPoller({ host: '127.0.0.1', port }));
  const loops = pollers.map(async (p) => {
    while (drained < TOTAL) {
      const b = await p.getEventBatch(1000);
      if (b.errorMsg !== '') break;
      drained += b.events.length;
      await p.ack(b.sequenceNumber);
    }
  });
  // A poll waiting inside the channel's keep-alive when the agent stops loses its connection instead.
  const ended = loops.map((l) => l.catch(() => {}));
  const deadline = Date.now() + 120_000;
  while (drained < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Pollers still waiting on the empty channel are answered by the stop.
  await agent.stop();
  await Promise.all(ended);
  await Promise.all(pollers.map((p) => p.close()));
  if (drained < TOTAL) throw new Error(`spark bench drained only ${drained} of ${TOTAL} events`);
  const rate = drained / seconds;
  return [
    {
      suite: 'agent',
      name: 'SparkSink drain, 5 pollers getEventBatch(1000)+ack, memory channel',
      value: Math.round(rate),
      unit: 'events/s',
      note: `${fmt(drained)} events in ${seconds.toFixed(2)} s, seq source filling the channel concurrently`,
    },
  ];
}
