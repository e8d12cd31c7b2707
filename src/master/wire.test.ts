import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { memoryLogger } from '../core/logger.js';
import type { PipelineReport } from '../flow/report.js';
import { Master } from './master.js';
import { NodeAgent } from './node-agent.js';
import { MasterServer } from './server.js';
import { MemoryStore } from './store.js';
import { callMaster } from './wire.js';

const logger = memoryLogger();

async function setUp(
  t: { after(fn: () => Promise<void>): void },
  connections: Parameters<typeof MasterServer.start>[1]['heartbeatConnections'] = {},
) {
  const master = new Master({ store: new MemoryStore(), logger });
  const server = await MasterServer.start(master, {
    bind: '127.0.0.1',
    heartbeatPort: 0,
    adminPort: 0,
    heartbeatConnections: connections,
    logger,
  });
  t.after(() => server.close());
  return { master, server };
}

/** A runner that runs nothing: what is watched is the wire. */
const idleRunner = {
  apply: async () => {},
  reports: (): PipelineReport[] => [],
  stop: async () => {},
};

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends one heartbeat on `s` (kept alive) and resolves with the reply's head once its body is in. */
function heartbeatOn(s: Socket, physical: string): Promise<string> {
  const body = JSON.stringify({ physical, host: 'h', periodMs: 1000, nodes: [] });
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/^content-length: (\d+)$/im.exec(text.slice(0, end))?.[1]);
      if (Buffer.byteLength(text.slice(end + 4), 'latin1') < length) return;
      s.off('data', onData);
      resolve(text.slice(0, end));
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write(
      `POST /heartbeat HTTP/1.1\r\nhost: m\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
  });
}

test("a node's heartbeats reuse one connection to the heartbeat port", async (t) => {
  const { master, server } = await setUp(t);
  const agent = new NodeAgent({
    physical: 'kept',
    host: 'h',
    masters: [{ host: '127.0.0.1', port: server.heartbeat.port }],
    periodMs: 1000,
    logger,
    runner: idleRunner,
  });
  for (let i = 0; i < 5; i++) await agent.beat();
  await agent.stop();
  assert.equal(master.nodeStatus().find((s) => s.name === 'kept')?.state, 'HELLO');
  assert.equal(server.heartbeat.connections().accepted, 1, 'five heartbeats, one connection');
});

test('an idle heartbeat connection is closed after its idle timeout', async (t) => {
  const { server } = await setUp(t, { idleTimeoutMs: 300 });
  const s = await open(server.heartbeat.port);
  t.after(() => void s.destroy());
  let closed = false;
  s.on('close', () => {
    closed = true;
  });
  const head = await heartbeatOn(s, 'idle1');
  assert.match(head, /^HTTP\/1\.1 200/);
  assert.match(head, /^connection: keep-alive$/im);
  assert.equal(closed, false, 'the connection stays open after the reply');
  await waitFor(() => closed, 'the idle connection to be closed', 30_000);
  await waitFor(() => server.heartbeat.connections().open === 0, 'no connection left open', 30_000);
});

test('past its keep-alive bound, the heartbeat port closes the connection of each reply', async (t) => {
  const { server } = await setUp(t, { keepAliveConnections: 2 });
  const socks = await Promise.all([1, 2, 3].map(() => open(server.heartbeat.port)));
  t.after(() => {
    for (const s of socks) s.destroy();
  });
  await waitFor(() => server.heartbeat.connections().open === 3, 'three connections accepted');
  const heads = await Promise.all(socks.map((s, i) => heartbeatOn(s, `bound${i}`)));
  for (const h of heads) assert.match(h, /^HTTP\/1\.1 200/);
  assert.ok(
    heads.every((h) => /^connection: close$/im.test(h)),
    'three open, over the bound of two: every reply closes',
  );
  await waitFor(() => server.heartbeat.connections().open === 0, 'the connections to be closed', 30_000);
  const kept = await open(server.heartbeat.port);
  t.after(() => void kept.destroy());
  assert.match(await heartbeatOn(kept, 'bound9'), /^connection: keep-alive$/im);
});

test('a kept connection the master closed as a call went out is not a failure: the call is made again', async (t) => {
  // A stand-in master: answers the first request of each connection and keeps it open, then resets
  // the connection when a second request comes on it (an idle connection closed at that instant).
  let accepted = 0;
  const server = createServer((sock) => {
    accepted++;
    let text = '';
    let served = 0;
    sock.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      text = '';
      if (served++ > 0) {
        sock.resetAndDestroy();
        return;
      }
      const body = JSON.stringify({ served: accepted });
      sock.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\nkeep-alive: timeout=30\r\n\r\n${body}`,
      );
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const to = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
  assert.deepEqual(await callMaster(to, 'GET', '/status'), { served: 1 });
  assert.deepEqual(await callMaster(to, 'GET', '/status'), { served: 2 });
  assert.equal(accepted, 2, 'the second call was reset on the kept connection and made on a new one');
});
