import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { memoryLogger } from '../../core/logger.js';
import { avroSourceHandlers } from './flume-protocol.js';
import { encodeFrame, FrameDecoder } from './frame.js';
import { handshakeRequestType, handshakeResponseType } from './handshake.js';
import { requestHead } from './message.js';
import { avroSourceProtocol, protocolFromJson, Status } from './protocols.js';
import { AvroServer, handler } from './server.js';
import { Reader } from './wire.js';

const servers: AvroServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function startServer(extra: Partial<ConstructorParameters<typeof AvroServer>[0]> = {}) {
  const logger = memoryLogger();
  const received: string[] = [];
  const server = new AvroServer({
    protocol: avroSourceProtocol,
    handlers: avroSourceHandlers((events) => {
      for (const e of events) received.push(e.body.toString());
      return Status.OK;
    }),
    port: 0,
    host: '127.0.0.1',
    logger,
    name: 'test',
    ...extra,
  });
  servers.push(server);
  await server.listen();
  return { server, logger, received };
}

/** A bare socket speaking frames, to see exactly what the server sends. */
class RawPeer {
  readonly socket: net.Socket;
  private readonly frames: [number, Buffer][] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    const d = new FrameDecoder((s, p) => {
      this.frames.push([s, p]);
      this.waiter?.();
    });
    socket.on('data', (c) => d.push(c));
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawPeer(s)));
      s.once('error', reject);
    });
  }

  send(serial: number, ...parts: Buffer[]): void {
    this.socket.write(encodeFrame(serial, parts));
  }

  // 30 s defaults: waits for what must come (only a hang times out); checks that nothing comes pass
  // their own short bound.
  async next(ms = 30_000): Promise<[number, Buffer] | undefined> {
    const deadline = Date.now() + ms;
    while (this.frames.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.frames.shift();
  }

  async waitClosed(ms = 30_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }
}

function hsRequest(
  opts: { clientHash?: Buffer; protocol?: string | null; serverHash?: Buffer } = {},
): Buffer {
  return handshakeRequestType.toBuffer({
    clientHash: opts.clientHash ?? avroSourceProtocol.hash,
    clientProtocol: opts.protocol ?? null,
    serverHash: opts.serverHash ?? avroSourceProtocol.hash,
    meta: {},
  });
}

const oneEvent = (body: string) =>
  avroSourceProtocol.messages
    .get('appendBatch')!
    .requestType.toBuffer({ events: [{ headers: {}, body: Buffer.from(body) }] });

test("a Java client's first request (known hash) is answered BOTH: 00 00 00 00, then OK", async () => {
  const { server, received } = await startServer();
  const peer = await RawPeer.connect(server.port);
  // Java's first handshake: the hash of its protocol, no protocol text, empty meta (bytes 02 00).
  assert.ok(hsRequest().toString('hex').endsWith('0200'));
  peer.send(1, hsRequest(), requestHead('appendBatch'), oneEvent('first'));
  const [serial, payload] = (await peer.next())!;
  assert.equal(serial, 1);
  assert.equal(payload.toString('hex'), '00000000' + '0000' + '00');
  // Connected: the next request has no handshake and neither has its answer.
  peer.send(2, requestHead('appendBatch'), oneEvent('second'));
  const [serial2, payload2] = (await peer.next())!;
  assert.equal(serial2, 2);
  assert.equal(payload2.toString('hex'), '000000');
  assert.deepEqual(received, ['first', 'second']);
  peer.socket.destroy();
});

test('an unknown client gets NONE and the server protocol only; with its protocol it gets CLIENT', async () => {
  const { server, received } = await startServer();
  const other = protocolFromJson(avroSourceProtocol.json.replace(/"doc":"[^"]*(\\"[^"]*)*",/, ''));
  assert.notDeepEqual(other.hash, avroSourceProtocol.hash);
  const peer = await RawPeer.connect(server.port);
  peer.send(
    1,
    hsRequest({ clientHash: other.hash, serverHash: other.hash }),
    requestHead('appendBatch'),
    oneEvent('x'),
  );
  const [, p1] = (await peer.next())!;
  const r1 = new Reader(p1);
  const res1 = handshakeResponseType.decode(p1, 0);
  assert.equal(res1.value.match, 'NONE');
  assert.equal(res1.value.serverProtocol, avroSourceProtocol.json);
  assert.deepEqual(res1.value.serverHash, avroSourceProtocol.hash);
  assert.equal(res1.offset, r1.end, 'NONE carries nothing after the handshake');
  assert.deepEqual(received, []);
  peer.send(
    2,
    hsRequest({ clientHash: other.hash, protocol: other.json, serverHash: other.hash }),
    requestHead('appendBatch'),
    oneEvent('x'),
  );
  const [s2, p2] = (await peer.next())!;
  assert.equal(s2, 2);
  const res2 = handshakeResponseType.decode(p2, 0);
  assert.equal(res2.value.match, 'CLIENT');
  assert.equal(p2.subarray(res2.offset).toString('hex'), '000000');
  assert.deepEqual(received, ['x']);
  peer.socket.destroy();
  // The protocol is cached: a new connection naming the right server hash gets BOTH straight away.
  const peer2 = await RawPeer.connect(server.port);
  peer2.send(1, hsRequest({ clientHash: other.hash }), requestHead('appendBatch'), oneEvent('y'));
  const [, p3] = (await peer2.next())!;
  assert.equal(p3.toString('hex'), '00000000000000');
  peer2.socket.destroy();
});

test('pipelined requests are answered in order with full 32-bit serials echoed', async () => {
  const { server, received } = await startServer();
  const peer = await RawPeer.connect(server.port);
  peer.send(1, hsRequest(), requestHead('appendBatch'), oneEvent('hs'));
  await peer.next();
  const serials = [65536, 70000, 0x7fffffff, -(2 ** 31) + 5, -1];
  // One TCP write holding every frame.
  peer.socket.write(
    Buffer.concat(serials.map((s, i) => encodeFrame(s, [requestHead('appendBatch'), oneEvent(`p${i}`)]))),
  );
  const got: number[] = [];
  for (let i = 0; i < serials.length; i++) got.push((await peer.next())![0]);
  assert.deepEqual(got, serials);
  assert.deepEqual(received, ['hs', 'p0', 'p1', 'p2', 'p3', 'p4']);
  peer.socket.destroy();
});

test('async handlers delay answers; later requests of the connection wait in order', async () => {
  const order: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const { server } = await startServer({
    handlers: avroSourceHandlers(async (events) => {
      const body = events[0]!.body.toString();
      if (body === 'slow') await gate;
      order.push(body);
      return Status.OK;
    }),
  });
  const peer = await RawPeer.connect(server.port);
  peer.send(1, hsRequest(), requestHead('appendBatch'), oneEvent('slow'));
  peer.send(2, requestHead('appendBatch'), oneEvent('fast'));
  assert.equal(await peer.next(150), undefined, 'no answer while the first handler waits');
  release();
  assert.equal((await peer.next())![0], 1);
  assert.equal((await peer.next())![0], 2);
  assert.deepEqual(order, ['slow', 'fast']);
  peer.socket.destroy();
});

test('handler errors and unknown messages are system errors; the connection stays usable', async () => {
  const { server } = await startServer({
    handlers: avroSourceHandlers(() => {
      throw new Error('channel is full');
    }),
  });
  const peer = await RawPeer.connect(server.port);
  peer.send(1, hsRequest(), requestHead('appendBatch'), oneEvent('x'));
  const [, p] = (await peer.next())!;
  const r = new Reader(p, 4);
  r.map();
  assert.equal(r.boolean(), true);
  assert.equal(r.long(), 0);
  assert.equal(r.string(), 'channel is full');
  peer.send(2, requestHead('nosuch'), Buffer.alloc(0));
  const [, p2] = (await peer.next())!;
  const r2 = new Reader(p2);
  r2.map();
  assert.equal(r2.boolean(), true);
  r2.long();
  assert.match(
    r2.string(),
    /unknown message nosuch in protocol org.apache.flume.source.avro.AvroSourceProtocol/,
  );
  peer.socket.destroy();
});

test('one-way messages get no answer; a ping gets only the handshake', async () => {
  const protocol = protocolFromJson(
    JSON.stringify({
      protocol: 'P',
      namespace: 'x',
      types: [],
      messages: {
        note: { request: [{ name: 'n', type: 'int' }], response: 'null', 'one-way': true },
        get: { request: [], response: 'int' },
      },
    }),
  );
  const notes: number[] = [];
  const server = new AvroServer({
    protocol,
    port: 0,
    host: '127.0.0.1',
    logger: memoryLogger(),
    handlers: {
      note: handler<number, null>({
        decode: (r) => r.int(),
        handle: (n) => {
          notes.push(n);
          return null;
        },
        encode: () => {},
      }),
      get: handler<null, number>({
        decode: () => null,
        handle: () => notes.length,
        encode: (w, v) => w.int(v),
      }),
    },
  });
  servers.push(server);
  await server.listen();
  const peer = await RawPeer.connect(server.port);
  const hs = handshakeRequestType.toBuffer({
    clientHash: protocol.hash,
    clientProtocol: null,
    serverHash: protocol.hash,
    meta: {},
  });
  peer.send(1, hs, requestHead(''));
  assert.equal((await peer.next())![1].toString('hex'), '00000000');
  peer.send(2, requestHead('note'), Buffer.from([0x0e]));
  peer.send(3, requestHead('note'), Buffer.from([0x10]));
  peer.send(4, requestHead('get'));
  const [serial, payload] = (await peer.next())!;
  assert.equal(serial, 4);
  assert.equal(payload.toString('hex'), '000004');
  assert.deepEqual(notes, [7, 8]);
  peer.socket.destroy();
});

test('a 2 GiB frame closes that connection with one logged line; others keep being served', async () => {
  const { server, logger } = await startServer({ maxFrameSize: 1024 * 1024 });
  const good = await RawPeer.connect(server.port);
  good.send(1, hsRequest(), requestHead('appendBatch'), oneEvent('a'));
  await good.next();
  const bad = await RawPeer.connect(server.port);
  bad.socket.write(Buffer.from('00000001' + '00000001' + '7fffffff' + 'abcdef', 'hex'));
  assert.equal(await bad.waitClosed(), true);
  const lines = logger.lines.filter((l) => l.includes('closing connection'));
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /WARN test on port \d+: closing connection from 127\.0\.0\.1:\d+: frame of at least 2147483647 bytes exceeds the limit of 1048576 bytes/,
  );
  good.send(2, requestHead('appendBatch'), oneEvent('b'));
  assert.equal((await good.next())![0], 2);
  good.socket.destroy();
});

test('random bytes on the port close only that connection', async () => {
  const { server, logger, received } = await startServer();
  for (let i = 0; i < 5; i++) {
    const bad = await RawPeer.connect(server.port);
    bad.socket.write(Buffer.from(Array.from({ length: 4096 }, (_, j) => (j * 7919 + i * 31) & 0xff)));
    assert.equal(await bad.waitClosed(), true);
  }
  // Frames that parse but hold garbage Avro are closed too.
  const bad = await RawPeer.connect(server.port);
  bad.send(1, Buffer.from('ffffffffffffffffffffffff', 'hex'));
  assert.equal(await bad.waitClosed(), true);
  assert.equal(logger.lines.filter((l) => l.includes('closing connection')).length, 6);
  const good = await RawPeer.connect(server.port);
  good.send(1, hsRequest(), requestHead('appendBatch'), oneEvent('ok'));
  assert.equal((await good.next())![1].toString('hex'), '00000000000000');
  assert.deepEqual(received, ['ok']);
  good.socket.destroy();
});

test('a port already in use is a clear error naming it', async () => {
  const { server } = await startServer();
  const second = new AvroServer({
    protocol: avroSourceProtocol,
    handlers: {},
    port: server.port,
    host: '127.0.0.1',
    name: 'avroSource',
  });
  await assert.rejects(second.listen(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'SLUICE_IO');
    assert.equal(e.message, `cannot listen on 127.0.0.1:${server.port}: address already in use`);
    return true;
  });
});

test('close() drops connections and frees the port', async () => {
  const { server } = await startServer();
  const port = server.port;
  const peer = await RawPeer.connect(port);
  await server.close();
  assert.equal(await peer.waitClosed(), true);
  await assert.rejects(RawPeer.connect(port));
});
