import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { memoryLogger } from '../core/logger.js';
import {
  ConnectionGuard,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type GuardedConnection,
  listeningOn,
} from './connection-guard.js';

// Servers still open when a test failed midway: closed at the end, or they keep the file running.
const servers: (() => void)[] = [];
after(() => {
  for (const done of servers) done();
});

async function serve(limits: Partial<ConnectionLimits>, handshake = true) {
  const log = memoryLogger();
  const guard = new ConnectionGuard('test(0)', { ...DEFAULT_CONNECTION_LIMITS, ...limits }, log);
  const admitted: GuardedConnection[] = [];
  const server = net.createServer((s) => {
    const c = guard.admit(s);
    if (!c) return;
    admitted.push(c);
    if (handshake) c.handshakeDone();
    s.on('data', (d) => {
      c.activity();
      c.partial(!d.includes(10));
    });
    s.on('error', () => {});
  });
  guard.watch(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const done = () => {
    guard.close();
    if (server.listening) server.close();
  };
  servers.push(done);
  return { guard, log, server, port, admitted, done };
}

function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  return once(s, 'connect').then(() => s);
}
// Not events.once: it rejects on 'error', and a server dropping a client with unread bytes resets it.
const closed = (s: net.Socket): Promise<void> =>
  s.closed ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));

test('connections beyond maxConnections are closed at accept, logged once per peer', async () => {
  const h = await serve({ maxConnections: 2 });
  const a = await connect(h.port);
  const b = await connect(h.port);
  await waitFor(() => h.guard.stats.open === 2, 'the server to accept both connections');
  const refused = await Promise.all([connect(h.port), connect(h.port), connect(h.port)]);
  await Promise.all(refused.map(closed));
  assert.equal(h.guard.stats.refusedOverLimit, 3);
  assert.equal(h.guard.stats.open, 2);
  assert.equal(h.log.lines.filter((l) => l.includes('maxConnections 2 reached')).length, 1);
  assert.equal(a.closed || b.closed, false);
  a.destroy();
  b.destroy();
  h.done();
});

test('an idle connection is closed after idleTimeout; an active one stays', async () => {
  // 600 ms, far above the 30 ms writes: a loaded machine stalling this process must not make the busy
  // connection look idle.
  const h = await serve({ idleTimeoutMs: 600 });
  // Measured from before the idle connection exists: its idle time starts later, at the accept, so
  // the lower bound holds however long the connects take.
  const t0 = Date.now();
  const idle = await connect(h.port);
  const busy = await connect(h.port);
  const keep = setInterval(() => busy.write('x\n'), 30);
  await closed(idle);
  const waited = Date.now() - t0;
  // The upper bound only proves the timeout fires at all; a loaded machine may run it late.
  assert.ok(waited >= 590 && waited < 20_000, `closed after ${waited} ms`);
  assert.equal(busy.closed, false);
  clearInterval(keep);
  assert.equal(h.guard.stats.idleClosed, 1);
  busy.destroy();
  h.done();
});

test('a 1-byte-at-a-time frame is closed after readTimeout although it is never idle', async () => {
  const h = await serve({ readTimeoutMs: 200, idleTimeoutMs: 10_000 });
  const slow = await connect(h.port);
  const drip = setInterval(() => slow.write('a'), 20);
  await closed(slow);
  clearInterval(drip);
  assert.equal(h.guard.stats.slowReadClosed, 1);
  assert.match(h.log.lines.join('\n'), /a frame stayed incomplete for 200 ms/);
  h.done();
});

test('no handshake within handshakeTimeout closes the connection', async () => {
  const h = await serve({ handshakeTimeoutMs: 100 }, false);
  const s = await connect(h.port);
  await closed(s);
  assert.equal(h.guard.stats.handshakeTimedOut, 1);
  assert.equal(h.guard.stats.open, 0);
  assert.match(listeningOn(h.server), /^127\.0\.0\.1:\d+$/);
  h.done();
});

test('a held connection is skipped by the idle and slow-read checks; released, its clocks start afresh', async () => {
  const h = await serve({ idleTimeoutMs: 1000, readTimeoutMs: 1000 });
  const s = await connect(h.port);
  await waitFor(() => h.admitted.length === 1, 'the connection to be admitted');
  const conn = h.admitted[0]!;
  conn.partial(true);
  conn.hold(true);
  h.guard.sweep(Date.now() + 60_000);
  assert.equal(h.guard.stats.open, 1, 'held for a minute: not idle, not a slow read');
  conn.hold(false);
  h.guard.sweep(Date.now() + 500);
  assert.equal(h.guard.stats.open, 1, 'released: the clocks run from the release');
  h.guard.sweep(Date.now() + 1500);
  assert.equal(h.guard.stats.idleClosed, 1);
  await closed(s);
  h.done();
});
