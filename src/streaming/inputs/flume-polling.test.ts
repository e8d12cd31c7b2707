import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CollectingReceiverSink, gate } from '../../../test/support/receiver-sink.js';
import { agentText, testAgent } from '../../../test/support/streaming.js';
import { waitFor } from '../../../test/support/wait.js';
import { memoryLogger } from '../../core/logger.js';
import { freePort } from '../../core/ports.js';
import type { Agent } from '../../flow/agent/agent.js';
import type { SparkFlumeEvent } from '../flume-event.js';
import { type FlumePollingOptions, FlumePollingReceiver, parseSinkAddresses } from './flume-polling.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

/** An agent whose seq source fills a memory channel drained by a SparkSink on `port`. */
function sparkAgent(port: number, total: number): Agent {
  return testAgent(
    agentText({
      source: { seq: total },
      sink: { spark: port },
      extra: ['a1.channels.c1.keep-alive = 0'],
    }),
    cleanup,
  );
}

async function receiving(
  ports: number[],
  opts: FlumePollingOptions = {},
  sink = new CollectingReceiverSink<SparkFlumeEvent>(),
) {
  const receiver = new FlumePollingReceiver(
    ports.map((port) => ({ host: '127.0.0.1', port })),
    { logger: memoryLogger(), ...opts },
  );
  await receiver.start(sink);
  cleanup.push(() => receiver.stop());
  return { receiver, sink };
}

const numbers = (sink: CollectingReceiverSink<SparkFlumeEvent>) =>
  sink.records.map((r) => Number(r.text)).sort((a, b) => a - b);

test('two agents polled by five fetchers: every event once, each batch acked', {
  timeout: 120_000,
}, async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  const a1 = sparkAgent(p1, 1500);
  const a2 = sparkAgent(p2, 1500);
  await a1.start();
  await a2.start();
  const { receiver, sink } = await receiving([p1, p2]);
  await waitFor(
    () => a1.channel('c1')!.size === 0 && a2.channel('c1')!.size === 0 && sink.records.length >= 3000,
    () => `3000 events and both channels drained (got ${sink.records.length})`,
    30_000,
  );
  assert.equal(sink.records.length, 3000);
  // seq counts 0..1499 in each agent: every number twice.
  const n = numbers(sink);
  assert.deepEqual(
    n,
    Array.from({ length: 3000 }, (_, i) => Math.floor(i / 2)),
  );
  assert.ok(sink.blocks.every((b) => b.records.length <= 100));
  await waitFor(() => receiver.stats.acked === receiver.stats.batches, 'every batch acked');
});

test('a block the engine fails is nacked and polled again: nothing lost', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const agent = sparkAgent(port, 500);
  await agent.start();
  const sink = new CollectingReceiverSink<SparkFlumeEvent>();
  sink.mode = 'fail';
  const { receiver } = await receiving([port], { parallelism: 2, maxBatchSize: 50 }, sink);
  await waitFor(() => receiver.stats.nacked >= 3, 'three nacks');
  sink.mode = 'ok';
  await waitFor(
    () => sink.records.length >= 500,
    () => `500 events (got ${sink.records.length})`,
  );
  assert.deepEqual(
    numbers(sink),
    Array.from({ length: 500 }, (_, i) => i),
  );
  assert.equal(agent.channel('c1')!.size, 0);
});

test('under backpressure no fetcher polls again; the events wait in the channel', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const agent = sparkAgent(port, 1000);
  await agent.start();
  const sink = new CollectingReceiverSink<SparkFlumeEvent>();
  const full = gate();
  sink.room = full.promise;
  const { receiver } = await receiving([port], { parallelism: 3, maxBatchSize: 10 }, sink);
  await waitFor(() => sink.stores === 3, 'each fetcher to store one block');
  // Absence can only be seen over time: give the fetchers a while to (wrongly) poll again.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sink.stores, 3);
  assert.equal(receiver.stats.batches, 3);
  assert.equal(agent.channel('c1')!.size, 1000 - 30);
  sink.room = undefined;
  full.open();
  await waitFor(
    () => sink.records.length >= 1000,
    () => `1000 events (got ${sink.records.length})`,
  );
  assert.deepEqual(
    numbers(sink),
    Array.from({ length: 1000 }, (_, i) => i),
  );
});

test('stop rolls back the batches the engine never stored; a new receiver gets them', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const agent = sparkAgent(port, 200);
  await agent.start();
  const holding = new CollectingReceiverSink<SparkFlumeEvent>();
  holding.mode = 'hold';
  const first = await receiving([port], { parallelism: 2, maxBatchSize: 20 }, holding);
  await waitFor(() => holding.held.length >= 2, 'two blocks held');
  await first.receiver.stop();
  assert.ok(first.receiver.stats.nacked >= 2);
  const { sink } = await receiving([port]);
  await waitFor(
    () => sink.records.length >= 200,
    () => `200 events (got ${sink.records.length})`,
  );
  assert.deepEqual(
    numbers(sink),
    Array.from({ length: 200 }, (_, i) => i),
  );
});

test('an unreachable sink is retried with backoff and polled once it comes up', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const logger = memoryLogger();
  const { sink } = await receiving([port], { logger, connectTimeoutMs: 1000 });
  await waitFor(() => logger.lines.some((l) => /unreachable/.test(l)), 'the outage logged');
  const agent = sparkAgent(port, 100);
  await agent.start();
  await waitFor(
    () => sink.records.length >= 100,
    () => `100 events (got ${sink.records.length})`,
  );
  assert.equal(logger.lines.filter((l) => /unreachable/.test(l)).length, 1, 'the outage is logged once');
});

test('addresses parse as HOST:PORT lists', () => {
  assert.deepEqual(parseSinkAddresses('127.0.0.1:9999, h:1'), [
    { host: '127.0.0.1', port: 9999 },
    { host: 'h', port: 1 },
  ]);
  assert.throws(() => parseSinkAddresses('nohost'), /"nohost" is not HOST:PORT/);
  assert.throws(() => new FlumePollingReceiver([]), /at least one address/);
  assert.throws(
    () => new FlumePollingReceiver([{ host: 'h', port: 1 }], { parallelism: 0 }),
    /parallelism must be a positive integer/,
  );
});
