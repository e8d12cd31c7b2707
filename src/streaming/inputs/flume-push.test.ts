import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { selfSigned } from '../../../test/fixtures/tls.js';
import { peerSkip } from '../../../test/support/peers.js';
import { CollectingReceiverSink, gate } from '../../../test/support/receiver-sink.js';
import { agentText, testAgent } from '../../../test/support/streaming.js';
import { waitFor } from '../../../test/support/wait.js';
import { Event } from '../../core/event.js';
import { memoryLogger } from '../../core/logger.js';
import { freePort } from '../../core/ports.js';
import { FlumeRpcClient, statusName } from '../../rpc/avro/flume-protocol.js';
import type { SparkFlumeEvent } from '../flume-event.js';
import { type FlumePushOptions, FlumePushReceiver } from './flume-push.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

async function started(
  opts: FlumePushOptions = {},
  sink = new CollectingReceiverSink<SparkFlumeEvent>(),
): Promise<{ receiver: FlumePushReceiver; sink: CollectingReceiverSink<SparkFlumeEvent> }> {
  const receiver = new FlumePushReceiver('127.0.0.1', 0, { logger: memoryLogger(), ...opts });
  await receiver.start(sink);
  cleanup.push(() => receiver.stop());
  return { receiver, sink };
}

function client(port: number, extra: Partial<ConstructorParameters<typeof FlumeRpcClient>[0]> = {}) {
  const c = new FlumeRpcClient({ host: '127.0.0.1', port, requestTimeoutMs: 10_000, ...extra });
  cleanup.push(() => c.close());
  return c;
}

const events = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => Event.of(`line ${from + i}`, { attrs: { n: String(from + i) } }));

test('a batch is answered OK only once the engine acked its block; headers and body arrive', async () => {
  const { receiver, sink } = await started();
  sink.mode = 'hold';
  const c = client(receiver.boundPort);
  let answered: string | undefined;
  const call = c.appendBatch(events(3)).then((s) => {
    answered = statusName(s);
  });
  await waitFor(() => sink.held.length === 1, 'the block to reach the engine');
  // Unanswered while the engine holds the block: the sender's batch is not yet safe.
  await new Promise((r) => setImmediate(r));
  assert.equal(answered, undefined);
  sink.release();
  await call;
  assert.equal(answered, 'OK');
  assert.deepEqual(
    sink.records.map((r) => r.text),
    ['line 0', 'line 1', 'line 2'],
  );
  assert.equal(sink.records[1]!.headers.n, '1');
  assert.ok(sink.records[1]!.headers.timestamp);
  assert.ok(sink.blocks[0]!.bytes >= 3 * 'line 0'.length);
});

test('a block the engine fails is answered FAILED, so the sender resends it', async () => {
  const { receiver, sink } = await started();
  sink.mode = 'fail';
  assert.equal(statusName(await client(receiver.boundPort).appendBatch(events(2))), 'FAILED');
  assert.equal(sink.records.length, 0);
});

test('while the engine is full no further batch is taken, and a batch waiting past the request timeout is answered FAILED', async () => {
  const sink = new CollectingReceiverSink<SparkFlumeEvent>();
  const full = gate();
  sink.room = full.promise;
  const { receiver } = await started({ requestTimeoutMs: 300 }, sink);
  const c = client(receiver.boundPort);
  assert.equal(statusName(await c.appendBatch(events(2))), 'OK');
  // The engine said it has no room: the next batch waits and times out, and is never stored.
  assert.equal(statusName(await c.appendBatch(events(2, 2))), 'FAILED');
  assert.equal(sink.stores, 1);
  sink.room = undefined;
  full.open();
  assert.equal(statusName(await c.appendBatch(events(2, 4))), 'OK');
  assert.deepEqual(
    sink.records.map((r) => r.text),
    ['line 0', 'line 1', 'line 4', 'line 5'],
  );
});

test('a stopped receiver refuses connections: the sender gets an error, not a silent loss', async () => {
  const { receiver, sink } = await started();
  const port = receiver.boundPort;
  await receiver.stop();
  const c = client(port, { connectTimeoutMs: 2000 });
  await assert.rejects(c.appendBatch(events(1)), /ECONNREFUSED|cannot connect/);
  assert.equal(sink.records.length, 0);
});

test('a token is required when set', async () => {
  const { receiver, sink } = await started({ token: 's3cret' });
  await assert.rejects(client(receiver.boundPort).appendBatch(events(1)), /token|refused/);
  assert.equal(
    statusName(await client(receiver.boundPort, { token: 's3cret' }).appendBatch(events(1))),
    'OK',
  );
  assert.equal(sink.records.length, 1);
});

function avroAgent(port: number, total: number, extra: string[] = []) {
  return testAgent(agentText({ source: { seq: total }, sink: { avro: port }, extra }), cleanup);
}

for (const compressed of [false, true]) {
  test(`a Sluice agent's avro sink feeds the receiver${compressed ? ' with deflate (enableDecompression)' : ''}: every event once`, {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const { sink } = await (async () => {
      const receiver = new FlumePushReceiver('127.0.0.1', port, {
        logger: memoryLogger(),
        enableDecompression: compressed,
      });
      const s = new CollectingReceiverSink<SparkFlumeEvent>();
      await receiver.start(s);
      cleanup.push(() => receiver.stop());
      return { sink: s };
    })();
    const total = 2000;
    const agent = avroAgent(port, total, compressed ? ['a1.sinks.k1.compression-type = deflate'] : []);
    await agent.start();
    await waitFor(
      () => sink.records.length >= total,
      () => `${total} events, got ${sink.records.length}`,
    );
    const seen = new Set(sink.records.map((r) => r.text));
    assert.equal(seen.size, total);
    assert.equal(sink.records.length, total);
  });
}

test('with ssl only TLS senders trusting its certificate get through', {
  skip: peerSkip('openssl'),
}, async () => {
  const certs = selfSigned();
  assert.ok(certs, 'openssl made no certificate');
  const { receiver, sink } = await started({ ssl: { keyFile: certs.keyFile, certFile: certs.certFile } });
  const port = receiver.boundPort;
  const tls = client(port, { tls: { ca: certs.cert, servername: 'localhost' } });
  assert.equal(statusName(await tls.appendBatch(events(2))), 'OK');
  await assert.rejects(
    client(port, { connectTimeoutMs: 2000, requestTimeoutMs: 2000 }).appendBatch(events(1)),
  );
  assert.deepEqual(
    sink.records.map((r) => r.text),
    ['line 0', 'line 1'],
  );
});
