import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { selfSigned } from '../../../test/fixtures/tls.js';
import { peerSkip } from '../../../test/support/peers.js';
import { waitFor } from '../../../test/support/wait.js';
import { Event } from '../../core/event.js';
import { memoryLogger } from '../../core/logger.js';
import { AvroClient } from './client.js';
import { avroSourceHandlers, FlumeRpcClient } from './flume-protocol.js';
import { avroSourceProtocol, protocolFromJson, Status, type StatusValue } from './protocols.js';
import { AvroServer, type AvroServerOptions } from './server.js';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function startServer(
  extra: Partial<AvroServerOptions> = {},
  status: () => StatusValue = () => Status.OK,
) {
  const received: Event[] = [];
  const logger = memoryLogger();
  const server = new AvroServer({
    protocol: avroSourceProtocol,
    handlers: avroSourceHandlers((events) => {
      received.push(...events);
      return status();
    }),
    port: 0,
    host: '127.0.0.1',
    logger,
    ...extra,
  });
  await server.listen();
  cleanup.push(() => server.close());
  return { server, received, logger };
}

function client(port: number, extra: Partial<ConstructorParameters<typeof FlumeRpcClient>[0]> = {}) {
  const c = new FlumeRpcClient({
    host: '127.0.0.1',
    port,
    requestTimeoutMs: 5000,
    connectTimeoutMs: 5000,
    ...extra,
  });
  cleanup.push(() => c.close());
  return c;
}

const batch = (n: number, tag = 'e') => Array.from({ length: n }, (_, i) => Event.of(`${tag}${i}`));

test('appendBatch and append round-trip; events arrive whole and in order', async () => {
  const { server, received } = await startServer();
  const c = client(server.port);
  assert.equal(await c.appendBatch(batch(3)), Status.OK);
  assert.equal(await c.append(Event.of('single', { host: 'h1' })), Status.OK);
  assert.deepEqual(
    received.map((e) => e.body.toString()),
    ['e0', 'e1', 'e2', 'single'],
  );
  assert.equal(received[3]!.host, 'h1');
  assert.equal(c.client.isConnected, true);
});

test('pipelined calls beyond serial 65536 are all answered (serials routed, not dropped)', async () => {
  const { server, received } = await startServer();
  const c = client(server.port, { maxInFlight: 256 });
  const one = [Event.of('x')];
  const total = 70_000;
  let ok = 0;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    inflight.push(c.appendBatch(one).then((s) => void (s === Status.OK && ok++)));
    if (inflight.length >= 2000) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  assert.equal(ok, total);
  assert.equal(received.length, total);
});

test('a server that never answers: request timeout, then the client reconnects', async () => {
  let accepted = 0;
  const silent = net.createServer((s) => {
    accepted++;
    s.on('data', () => {});
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => silent.close(() => r())));
  const port = (silent.address() as net.AddressInfo).port;
  const c = client(port, { requestTimeoutMs: 200, backoffMinMs: 10 });
  const t0 = Date.now();
  await assert.rejects(c.appendBatch(batch(1)), (e: Error & { code?: string; retriable?: boolean }) => {
    assert.equal(e.code, 'SLUICE_RPC');
    assert.equal(e.retriable, true);
    assert.equal(e.message, `no answer to appendBatch from 127.0.0.1:${port} within 200 ms`);
    return true;
  });
  // Without the timeout the call would never end; 10 s leaves room for a loaded machine.
  assert.ok(Date.now() - t0 < 10_000);
  await assert.rejects(c.appendBatch(batch(1)), /within 200 ms/);
  assert.equal(accepted, 2, 'a timed-out connection is dropped and a new one made');
  await c.close();
});

test('unreachable collector: clear retriable error, backoff, then success once it is up', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const c = client(port, { backoffMinMs: 100, backoffMaxMs: 400 });
  await assert.rejects(c.appendBatch(batch(1)), (e: Error & { code?: string; retriable?: boolean }) => {
    assert.equal(e.code, 'SLUICE_RPC');
    assert.equal(e.message, `cannot connect to 127.0.0.1:${port}: connection refused`);
    assert.equal(e.retriable, true);
    return true;
  });
  assert.ok(c.client.backoffRemaining() > 0 && c.client.backoffRemaining() <= 100);
  await assert.rejects(c.appendBatch(batch(1)));
  assert.ok(c.client.backoffRemaining() > 100, 'backoff doubles');
  const { received } = await startServer({ port });
  // The call waits out the backoff, then connects.
  assert.equal(await c.appendBatch(batch(2)), Status.OK);
  assert.equal(received.length, 2);
});

test('server lost mid-way: calls fail, a restarted server is reached again', async () => {
  const first = await startServer();
  const port = first.server.port;
  const c = client(port, { backoffMinMs: 20 });
  assert.equal(await c.appendBatch(batch(1)), Status.OK);
  await first.server.close();
  await assert.rejects(c.appendBatch(batch(1)), { code: 'SLUICE_RPC' });
  const second = await startServer({ port });
  assert.equal(await c.appendBatch(batch(1, 'again')), Status.OK);
  assert.equal(second.received[0]!.body.toString(), 'again0');
});

test('a client with another protocol hash goes through NONE, resends with its protocol, and works', async () => {
  const { server, received } = await startServer();
  const other = protocolFromJson(
    avroSourceProtocol.json.replace('"namespace":"org.apache.flume.source.avro",', ''),
  );
  const c = new AvroClient({ host: '127.0.0.1', port: server.port, protocol: other });
  cleanup.push(() => c.close());
  const params = avroSourceProtocol.messages.get('appendBatch')!.requestType.toBuffer({
    events: [{ headers: { timestamp: '42' }, body: Buffer.from('via-none') }],
  });
  const status = await c.call('appendBatch', params, (r) => r.long());
  assert.equal(status, Status.OK);
  assert.equal(received[0]!.timestamp, 42);
  assert.equal(await c.call('appendBatch', params, (r) => r.long()), Status.OK);
});

test('FAILED status and remote errors reach the caller', async () => {
  const { server } = await startServer({}, () => Status.FAILED);
  const c = client(server.port);
  assert.equal(await c.appendBatch(batch(1)), Status.FAILED);
  const { server: s2 } = await startServer({
    handlers: avroSourceHandlers(() => {
      throw new Error('disk full');
    }),
  });
  const c2 = client(s2.port);
  await assert.rejects(
    c2.appendBatch(batch(1)),
    /127\.0\.0\.1:\d+ answered appendBatch with an error: disk full/,
  );
  // The connection survives a remote error.
  await assert.rejects(c2.appendBatch(batch(1)), /disk full/);
});

test('deflate compression both ways (per-connection zlib streams)', async () => {
  const { server, received } = await startServer({ compression: 'deflate' });
  const c = client(server.port, { compression: 'deflate', compressionLevel: 9 });
  const events = Array.from({ length: 1000 }, (_, i) => Event.of(`line ${i} ${'z'.repeat(200)}`));
  for (let i = 0; i < 5; i++) assert.equal(await c.appendBatch(events), Status.OK);
  assert.equal(received.length, 5000);
  assert.equal(received[4999]!.body.toString(), `line 999 ${'z'.repeat(200)}`);
});

test('mismatched compression fails cleanly on both sides', async () => {
  const { server, logger } = await startServer({ compression: 'deflate' });
  const c = client(server.port, { requestTimeoutMs: 1000 });
  await assert.rejects(c.appendBatch(batch(1)), { code: 'SLUICE_RPC' });
  await waitFor(
    () => logger.lines.some((l) => l.includes('closing connection')),
    () => `the server to log "closing connection"; it logged:\n${logger.lines.join('\n')}`,
  );
});

test('shared token: right token accepted, wrong or missing token refused with a clear error', async () => {
  const { server, received, logger } = await startServer({ token: 's3cret' });
  const good = client(server.port, { token: 's3cret' });
  assert.equal(await good.appendBatch(batch(1)), Status.OK);
  const bad = client(server.port, { token: 'guess' });
  await assert.rejects(bad.appendBatch(batch(1)), /connection refused: wrong sluice\.token/);
  const none = client(server.port);
  await assert.rejects(none.appendBatch(batch(1)), /connection refused: no sluice\.token given/);
  assert.equal(received.length, 1);
  assert.equal(logger.lines.filter((l) => l.includes('refused')).length, 2);
});

test('TLS with a self-signed certificate; an untrusting client is refused', {
  skip: peerSkip('openssl'),
}, async () => {
  const cert = selfSigned();
  assert.ok(cert, 'openssl could not make a test certificate');
  const { server, received } = await startServer({ tls: { key: cert.key, cert: cert.cert } });
  const c = client(server.port, { tls: { ca: cert.cert } });
  assert.equal(await c.appendBatch(batch(2)), Status.OK);
  const tlsDeflate = await startServer({ tls: { key: cert.key, cert: cert.cert }, compression: 'deflate' });
  const c2 = client(tlsDeflate.server.port, { tls: { ca: cert.cert }, compression: 'deflate' });
  assert.equal(await c2.appendBatch(batch(3)), Status.OK);
  assert.equal(tlsDeflate.received.length, 3);
  const untrusting = client(server.port);
  await assert.rejects(untrusting.appendBatch(batch(1)), { code: 'SLUICE_RPC' });
  const noCa = client(server.port, { tls: {} });
  await assert.rejects(noCa.appendBatch(batch(1)), /self.signed certificate/);
  assert.equal(received.length, 2);
});

test('close() fails waiting calls with SLUICE_CLOSED and refuses new ones', async () => {
  const silent = net.createServer((s) => s.on('data', () => {}));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => silent.close(() => r())));
  const c = new FlumeRpcClient({ host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port });
  const pending = assert.rejects(c.appendBatch(batch(1)), { code: 'SLUICE_CLOSED' });
  await new Promise((r) => setTimeout(r, 50));
  await c.close();
  await pending;
  await assert.rejects(c.appendBatch(batch(1)), { code: 'SLUICE_CLOSED' });
});
