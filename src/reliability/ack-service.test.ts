import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Event } from '../core/event.js';
import { AvroClient } from '../rpc/avro/client.js';
import { avroSourceHandlers, FlumeRpcClient } from '../rpc/avro/flume-protocol.js';
import { avroSourceProtocol, Status } from '../rpc/avro/protocols.js';
import { AvroServer } from '../rpc/avro/server.js';
import { CollectorAckClient, checkAckHandlers, collectorProtocol } from './ack-service.js';
import { AckStore } from './ack-store.js';

async function collectorPort(store: AckStore, received: Event[]): Promise<AvroServer> {
  const server = new AvroServer({
    protocol: avroSourceProtocol,
    extensions: [collectorProtocol],
    handlers: {
      ...avroSourceHandlers((events) => {
        received.push(...events);
        return Status.OK;
      }),
      ...checkAckHandlers(store),
    },
    port: 0,
  });
  await server.listen();
  return server;
}

test('checkAck rides on the collector port: Sluice agents ask it, Flume NG clients keep their protocol', async (t) => {
  const store = new AckStore();
  const received: Event[] = [];
  const server = await collectorPort(store, received);
  t.after(() => server.close());
  store.acknowledge('host-a-1-1');
  store.acknowledge('host-a-1-3');

  const acks = new CollectorAckClient({ host: '127.0.0.1', port: server.port, requestTimeoutMs: 5000 });
  t.after(() => acks.close());
  assert.deepEqual(await acks.checkAck(['host-a-1-1', 'host-a-1-2', 'host-a-1-3']), [
    'host-a-1-1',
    'host-a-1-3',
  ]);
  assert.deepEqual(await acks.checkAck([]), []);

  // A client of AvroSourceProtocol (what Flume NG's AvroSink speaks) appends as before...
  const ng = new FlumeRpcClient({ host: '127.0.0.1', port: server.port, requestTimeoutMs: 5000 });
  t.after(() => ng.close());
  assert.equal(await ng.appendBatch([Event.of('hello')]), Status.OK);
  assert.deepEqual(
    received.map((e) => e.body.toString()),
    ['hello'],
  );
  // ...and its protocol has no checkAck: the port answers it with an error, not with acks.
  const plain = new AvroClient({
    host: '127.0.0.1',
    port: server.port,
    protocol: avroSourceProtocol,
    requestTimeoutMs: 5000,
  });
  t.after(() => plain.close());
  await assert.rejects(
    plain.call('checkAck', Buffer.from([2, 2, 0x61, 0]), () => []),
    /unknown message checkAck/,
  );
});

test('an AckStore forgets the oldest tags beyond its bound (the agent then resends, never loses)', () => {
  let now = 0;
  const store = new AckStore({ maxTags: 2, retainMs: 100, now: () => now });
  store.acknowledge('a');
  store.acknowledge('b');
  store.acknowledge('c');
  assert.deepEqual(store.check(['a', 'b', 'c']), ['b', 'c']);
  now = 150;
  assert.deepEqual(store.check(['b', 'c']), []);
});
