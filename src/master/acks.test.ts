import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { memoryLogger } from '../core/logger.js';
import { freePort } from '../core/ports.js';
import { AckStore } from '../reliability/ack-store.js';
import { MasterAckClient } from './ack-client.js';
import { ackBounds, checkAcks, recordAcks } from './acks.js';
import { MasterFailover } from './failover.js';
import { Master } from './master.js';
import { NodeAgent } from './node-agent.js';
import { MasterServer } from './server.js';
import { emptyData, FileStore, MemoryStore } from './store.js';
import { callMaster } from './wire.js';

const logger = memoryLogger();

test('the ack table answers what was acknowledged, keeps tags for 10 retransmit periods, and at most maxTags', () => {
  const data = emptyData();
  const b = ackBounds(1_000, 3);
  assert.deepEqual(b, { maxTags: 3, retainMs: 10_000 });
  recordAcks(data, ['a', 'b'], 0, b);
  assert.deepEqual(checkAcks(data, ['a', 'x', 'b'], 0, b), ['a', 'b']);
  // Over the count: the oldest go first.
  recordAcks(data, ['c', 'd'], 1, b);
  assert.deepEqual(checkAcks(data, ['a', 'b', 'c', 'd'], 1, b), ['b', 'c', 'd']);
  // A tag acknowledged again is young again; the others expire past retainMs.
  recordAcks(data, ['b'], 9_000, b);
  assert.deepEqual(checkAcks(data, ['b', 'c', 'd'], 10_002, b), ['b']);
  recordAcks(data, ['e'], 10_002, b);
  assert.deepEqual(Object.keys(data.acks!), ['b', 'e']);
});

test('acknowledged tags are answered by checkAck, and survive a master restart on the file store', async (t) => {
  const dir = tempDir('master-acks', t);
  const first = new Master({ store: new FileStore(dir), logger });
  await first.ready;
  await first.acknowledge(['h-a-1-0', 'h-a-1-1']);
  assert.deepEqual(await first.checkAck(['h-a-1-1', 'h-a-1-2', 'h-a-1-0']), ['h-a-1-1', 'h-a-1-0']);
  const second = new Master({ store: new FileStore(dir), logger });
  await second.ready;
  assert.deepEqual(await second.checkAck(['h-a-1-0', 'h-a-1-1', 'h-a-1-2']), ['h-a-1-0', 'h-a-1-1']);
});

test("a node reports its collectors' acks on the heartbeat port and agents ask there (POST /acks, /acks/check)", async (t) => {
  const master = new Master({ store: new MemoryStore(), logger });
  await master.ready;
  const server = await MasterServer.start(master, {
    bind: '127.0.0.1',
    heartbeatPort: 0,
    adminPort: 0,
    logger,
  });
  const at = { host: '127.0.0.1', port: server.heartbeat.port };
  const acks = new AckStore();
  acks.reportToMaster();
  const agent = new NodeAgent({
    physical: 'c1',
    host: 'localhost',
    masters: [at],
    periodMs: 60_000,
    logger,
    runner: { apply: async () => {}, reports: () => [], stop: async () => {} },
    acks,
    ackReportMs: 20,
  });
  agent.start();
  t.after(async () => {
    await agent.stop();
    await server.close();
  });
  acks.acknowledge('t-1');
  const asker = new MasterAckClient(new MasterFailover([at]), 5_000);
  await waitFor(
    async () => (await asker.checkAck(['t-1', 't-2'])).length === 1,
    't-1 acknowledged at the master',
  );
  assert.deepEqual(await asker.checkAck(['t-2', 't-1']), ['t-1']);
  await assert.rejects(callMaster(at, 'POST', '/acks/check', { tags: [1] }), /at most 10000 ack tags/);
  await assert.rejects(callMaster(at, 'POST', '/acks', { tags: 'x' }), /at most 10000 ack tags/);
});

test('acks a node could not report while its master was down reach the master when it answers again', async (t) => {
  const master = new Master({ store: new MemoryStore(), logger });
  await master.ready;
  const port = await freePort();
  const said = memoryLogger();
  const acks = new AckStore();
  acks.reportToMaster();
  const agent = new NodeAgent({
    physical: 'c1',
    host: 'localhost',
    masters: [{ host: '127.0.0.1', port }],
    periodMs: 60_000,
    logger: said,
    runner: { apply: async () => {}, reports: () => [], stop: async () => {} },
    acks,
    ackReportMs: 20,
  });
  agent.start();
  acks.acknowledge('early');
  await waitFor(
    () => agent.acksWaiting === 1 && said.lines.filter((l) => l.includes('failing')).length > 0,
    () => `a failed report: ${said.lines.join('\n')}`,
  );
  const server = await MasterServer.start(master, {
    bind: '127.0.0.1',
    heartbeatPort: port,
    adminPort: 0,
    logger,
  });
  t.after(async () => {
    await agent.stop();
    await server.close();
  });
  await waitFor(async () => (await master.checkAck(['early'])).length === 1, 'the early tag at the master');
});

test("a collector process's ack table keeps what is to be reported only under a master, bounded", () => {
  const store = new AckStore({ maxTags: 2 });
  store.acknowledge('before');
  assert.deepEqual(store.takeReported(10), []);
  store.reportToMaster();
  for (const t of ['a', 'b', 'c']) store.acknowledge(t);
  assert.deepEqual(store.takeReported(1), ['b']);
  assert.deepEqual(store.takeReported(10), ['c']);
  assert.deepEqual(store.takeReported(10), []);
});
