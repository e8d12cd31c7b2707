// Acknowledgements over the wire (docs/acks.md): the avro sources answer a sender OK only once its batch
// was delivered, FAILED when it was not, and the sender's resend arrives once. A connection keeps many
// requests in flight while earlier batches are delivered, and its answers keep their order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComponentProperties } from '../../src/catalog/properties.js';
import { BoundArgs } from '../../src/catalog/types.js';
import { Event } from '../../src/core/event.js';
import { memoryLogger } from '../../src/core/logger.js';
import type { EventSource } from '../../src/core/pipeline.js';
import type { CompiledNode } from '../../src/flow/compile.js';
import { LogicalNode } from '../../src/flow/logical-node.js';
import { FlumeRpcClient } from '../../src/rpc/avro/flume-protocol.js';
import { Status, type StatusValue } from '../../src/rpc/avro/protocols.js';
import { type AvroEventSource, collectorSource } from '../../src/sources/avro.js';
import { ngAvroSource } from '../../src/sources/avro-ng.js';
import { BackpressureSink, type CollectingSink, FailingSink, testContext } from '../mocks/sinks.js';
import { waitFor } from '../support/wait.js';

function node(source: EventSource, sink: CollectingSink): LogicalNode {
  const pos = { line: 1, column: 1, offset: 0 };
  const call = { name: 'x', args: [], kwargs: [], parens: false, pos };
  const compiled: CompiledNode = {
    name: 'n',
    spec: { name: 'n', source: call, sink: { type: 'call', call, pos }, pos },
    makeSource: () => source,
    makeSink: () => sink,
  };
  return new LogicalNode(compiled, memoryLogger());
}

const SOURCES: { name: string; make: () => AvroEventSource }[] = [
  {
    name: 'collectorSource (OG)',
    make: () =>
      collectorSource.build(
        BoundArgs.of('collectorSource', { port: 0, bind: '127.0.0.1' }),
        testContext(),
      ) as AvroEventSource,
  },
  {
    name: 'avro (NG)',
    make: () =>
      ngAvroSource.create(
        new ComponentProperties('source r1', ngAvroSource.properties, { bind: '127.0.0.1', port: '0' }),
        testContext(),
      ) as AvroEventSource,
  },
];

function numbered(from: number, n: number): Event[] {
  return Array.from({ length: n }, (_, i) => Event.of(String(from + i)));
}

for (const { name, make } of SOURCES) {
  test(`${name} under a sink failing every other batch: the sender hears FAILED, and its resend arrives once`, async () => {
    const source = make();
    const sink = new FailingSink({ failEveryOther: true });
    const n = node(source, sink);
    const done = n.start();
    await waitFor(() => n.state === 'ACTIVE', 'the node started');
    const client = new FlumeRpcClient({ host: '127.0.0.1', port: source.port, requestTimeoutMs: 10_000 });
    const answers: string[] = [];
    try {
      for (let b = 0; b < 20; b++) {
        const batch = numbered(b * 10, 10);
        for (let attempt = 0; ; attempt++) {
          const s: StatusValue = await client.appendBatch(batch);
          answers.push(s === Status.OK ? 'OK' : 'FAILED');
          if (s === Status.OK) break;
          assert.ok(attempt < 3, 'resent at most a few times');
        }
      }
    } finally {
      await client.close();
      await n.stop();
      await done;
    }
    // Each batch failed once (the sink fails every other append), then its resend was delivered.
    assert.deepEqual(
      answers,
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'FAILED' : 'OK')),
    );
    assert.deepEqual(
      sink.bodies().map(Number),
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  test(`${name}: a connection keeps requests in flight while earlier batches are delivered; answers in order`, async () => {
    const source = make();
    const sink = new BackpressureSink();
    const n = node(source, sink);
    const done = n.start();
    await waitFor(() => n.state === 'ACTIVE', 'the node started');
    const client = new FlumeRpcClient({
      host: '127.0.0.1',
      port: source.port,
      requestTimeoutMs: 10_000,
      maxInFlight: 8,
    });
    const order: number[] = [];
    try {
      // The first request carries the handshake: the client pipelines only once it is answered.
      const first = client.appendBatch([Event.of('handshake')]);
      await sink.whenHeld();
      sink.release();
      assert.equal(await first, Status.OK);
      const calls = Array.from({ length: 8 }, (_, b) =>
        client.appendBatch(numbered(b * 10, 10)).then((s) => {
          assert.equal(s, Status.OK);
          order.push(b);
        }),
      );
      // The sink holds the first batch; the other seven were still read and handled meanwhile.
      await sink.whenHeld();
      await waitFor(
        () => source.stats.batches === 9,
        () => `8 more batches received (${source.stats.batches - 1})`,
      );
      assert.deepEqual(order, [], 'no answer before delivery');
      for (let released = 0; released < 8; released++) {
        await sink.whenHeld();
        sink.release();
      }
      await Promise.all(calls);
    } finally {
      await client.close();
      await n.stop();
      await done;
    }
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(sink.count, 81);
  });
}
