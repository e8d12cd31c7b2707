import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type AgentPlan, agentText, testAgent } from '../../test/support/streaming.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import { freePort } from '../core/ports.js';
import { FlumeRpcClient, statusName } from '../rpc/avro/flume-protocol.js';
import { StreamingContext } from './context.js';
import { FlumeUtils } from './flume-utils.js';
import { receiverWriteAheadLog } from './inputs/receiver-wal.js';
import { socketTextStream, textFileStream } from './inputs/text-streams.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const seqAgent = (total: number, sink: AgentPlan['sink']) =>
  testAgent(agentText({ source: { seq: total }, sink }), cleanup);

function context(): StreamingContext {
  const ssc = new StreamingContext({ batchIntervalMs: 100, logger: memoryLogger() });
  cleanup.push(() => ssc.stop());
  return ssc;
}

/** Every record's body text, in batch order. */
function collect(stream: { foreachRDD(f: (r: readonly { text: string }[]) => void): void }): string[] {
  const out: string[] = [];
  stream.foreachRDD((records) => {
    for (const r of records) out.push(r.text);
  });
  return out;
}

const sorted = (texts: string[]) => texts.map(Number).sort((a, b) => a - b);
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);

test('createStream: an agent pushes to the context over Avro; every event once in the batches', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const ssc = context();
  const got = collect(FlumeUtils.createStream(ssc, '127.0.0.1', port));
  await ssc.start();
  await seqAgent(1000, { avro: port }).start();
  await waitFor(
    () => got.length >= 1000,
    () => `1000 events (got ${got.length})`,
  );
  await ssc.stop();
  assert.deepEqual(sorted(got), upTo(1000));
});

test('createPollingStream, as "host:port" or host and port: the context drains a SparkSink', {
  timeout: 120_000,
}, async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  await seqAgent(500, { spark: p1 }).start();
  await seqAgent(700, { spark: p2 }).start();
  const ssc = context();
  const a = collect(FlumeUtils.createPollingStream(ssc, `127.0.0.1:${p1}`, { maxBatchSize: 50 }));
  const b = collect(FlumeUtils.createPollingStream(ssc, '127.0.0.1', p2, { parallelism: 2 }));
  await ssc.start();
  await waitFor(
    () => a.length >= 500 && b.length >= 700,
    () => `500 + 700 events (got ${a.length} + ${b.length})`,
  );
  await ssc.stop();
  assert.deepEqual(sorted(a), upTo(500));
  assert.deepEqual(sorted(b), upTo(700));
});

test('with the receiver write-ahead log, what the push receiver answered OK survives a stop before processing', async (t) => {
  const dir = tempDir('flume-wal', t);
  const port = await freePort();
  const build = (seen: string[]) => () => {
    const ssc = new StreamingContext({
      batchIntervalMs: 1000,
      clock: 'manual',
      logger: memoryLogger(),
      receiverLog: receiverWriteAheadLog(),
    });
    ssc.checkpoint(dir);
    FlumeUtils.createStream(ssc, '127.0.0.1', port).foreachRDD((records) => {
      for (const r of records) seen.push(`${r.text}|${r.headers.origin}`);
    });
    return ssc;
  };
  const before: string[] = [];
  const first = await StreamingContext.getOrCreate(dir, build(before));
  await first.start();
  const c = new FlumeRpcClient({ host: '127.0.0.1', port });
  cleanup.push(() => c.close());
  const events = ['a', 'b', 'c'].map((s) => Event.of(s, { attrs: { origin: 'test' } }));
  assert.equal(statusName(await c.appendBatch(events)), 'OK');
  await c.close();
  // Stopped before any batch ran: without the log the three events would be gone.
  await first.stop();
  assert.deepEqual(before, []);

  const after: string[] = [];
  const second = await StreamingContext.getOrCreate(dir, build(after));
  await second.start();
  await second.advance(1000);
  await second.stop();
  assert.deepEqual(after, ['a|test', 'b|test', 'c|test']);
});

test('socketTextStream and textFileStream feed a context', async (t) => {
  const net = await import('node:net');
  const server = net.createServer((s) => s.end('one\ntwo\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(() => r(undefined))));
  const dir = tempDir('text-stream', t);
  const ssc = context();
  const lines: string[] = [];
  socketTextStream(ssc, '127.0.0.1', (server.address() as { port: number }).port, { reconnectMs: 60_000 })
    .union(textFileStream(ssc, dir, { pollMs: 20 }))
    .foreachRDD((r) => {
      lines.push(...r);
    });
  await ssc.start();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${dir}/new.txt`, 'three\n');
  await waitFor(
    () => lines.length >= 3,
    () => `3 lines (got ${lines.join(',')})`,
  );
  await ssc.stop();
  assert.deepEqual(lines.sort(), ['one', 'three', 'two']);
});
