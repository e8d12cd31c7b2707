import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { Event } from '../../src/core/event.js';
import { memoryLogger } from '../../src/core/logger.js';
import { avroSourceHandlers, FlumeRpcClient } from '../../src/rpc/avro/flume-protocol.js';
import { encodeFrame } from '../../src/rpc/avro/frame.js';
import { avroSourceProtocol, Status } from '../../src/rpc/avro/protocols.js';
import { AvroServer } from '../../src/rpc/avro/server.js';
import { mutate } from './mutate.js';
import { makeInput } from './target.js';
import { avroHandshake } from './targets/avro-handshake.js';

/**
 * The fuzzed first requests sent to a real Avro server on loopback, plain and with deflate compression:
 * whatever a connection sends, the server stays up, raises nothing unhandled, and still takes the next
 * honest client's batch. SERVER_FUZZ_CONNECTIONS runs more.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const CONNECTIONS = Number(process.env.SERVER_FUZZ_CONNECTIONS ?? 160);
const PARALLEL = 16;
/** How long one hostile connection is kept open waiting for the server to answer or close it. */
const LINGER_MS = 300;

const servers: AvroServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

/** Input `i`: a fuzzed handshake payload in a frame, sometimes with the frame's bytes mutated too. */
function hostileBytes(i: number, compressed: boolean): Buffer {
  const { input, rng } = makeInput(avroHandshake, SEED, i);
  let wire = encodeFrame(rng.below(4), [input]);
  if (rng.chance(0.3)) wire = mutate(wire, rng, () => wire, [], 1 << 20);
  if (!compressed) return wire;
  if (rng.chance(0.2)) return wire; // not deflate at all
  const deflated = deflateSync(wire);
  return rng.chance(0.3) ? mutate(deflated, rng, () => deflated, [], 1 << 20) : deflated;
}

function send(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, LINGER_MS);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.write(bytes));
  });
}

for (const compression of ['none', 'deflate'] as const) {
  test(`${CONNECTIONS} fuzzed first requests do not stop an Avro server (compression ${compression}, seed ${SEED})`, async () => {
    const failures: unknown[] = [];
    const onFailure = (e: unknown) => failures.push(e);
    process.on('uncaughtException', onFailure);
    process.on('unhandledRejection', onFailure);
    try {
      const received: string[] = [];
      const server = new AvroServer({
        protocol: avroSourceProtocol,
        handlers: avroSourceHandlers((events) => {
          for (const e of events) received.push(e.body.toString());
          return Status.OK;
        }),
        port: 0,
        host: '127.0.0.1',
        logger: memoryLogger(),
        name: 'fuzz',
        compression,
      });
      servers.push(server);
      const port = await server.listen();
      for (let i = 0; i < CONNECTIONS; i += PARALLEL) {
        const batch = [];
        for (let j = i; j < Math.min(CONNECTIONS, i + PARALLEL); j++) {
          batch.push(send(port, hostileBytes(j, compression === 'deflate')));
        }
        await Promise.all(batch);
      }
      const client = new FlumeRpcClient({ host: '127.0.0.1', port, compression, requestTimeoutMs: 10_000 });
      try {
        const events = ['a', 'b', 'c'].map((b) => new Event(Buffer.from(b)));
        assert.equal(await client.appendBatch(events), Status.OK);
      } finally {
        await client.close();
      }
      assert.deepEqual(received.slice(-3), ['a', 'b', 'c']);
      assert.deepEqual(failures, [], `unhandled errors (seed ${SEED})`);
    } finally {
      process.off('uncaughtException', onFailure);
      process.off('unhandledRejection', onFailure);
    }
  });
}
