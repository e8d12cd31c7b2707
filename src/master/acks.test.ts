import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../../test/support/tmp.js';
import { memoryLogger } from '../core/logger.js';
import { AckStore } from '../reliability/ack-store.js';
import { ackBounds, checkAcks, recordAcks } from './acks.js';
import { Master } from './master.js';
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

test('acks reported with a heartbeat are answered by checkAck, and survive a master restart on the file store', async (t) => {
  const dir = tempDir('master-acks', t);
  const first = new Master({ store: new FileStore(dir), logger });
  await first.ready;
  const hb = { physical: 'c1', host: 'h', periodMs: 1000, nodes: [], acks: ['h-a-1-0', 'h-a-1-1'] };
  await first.heartbeat(hb);
  assert.deepEqual(await first.checkAck(['h-a-1-1', 'h-a-1-2', 'h-a-1-0']), ['h-a-1-1', 'h-a-1-0']);
  const second = new Master({ store: new FileStore(dir), logger });
  await second.ready;
  assert.deepEqual(await second.checkAck(['h-a-1-0', 'h-a-1-1', 'h-a-1-2']), ['h-a-1-0', 'h-a-1-1']);
});

test('the heartbeat port answers POST /acks/check and refuses a malformed one', async (t) => {
  const master = new Master({ store: new MemoryStore(), logger });
  await master.ready;
  await master.acknowledge(['t-1']);
  const server = await MasterServer.start(master, { bind: '127.0.0.1', heartbeatPort: 0, adminPort: 0, logger });
  t.after(() => server.close());
  const at = { host: '127.0.0.1', port: server.heartbeat.port };
  assert.deepEqual(await callMaster(at, 'POST', '/acks/check', { tags: ['t-1', 't-2'] }), { acked: ['t-1'] });
  await assert.rejects(callMaster(at, 'POST', '/acks/check', { tags: [1] }), /checkAck asks about at most 10000 tags/);
  await assert.rejects(
    callMaster(at, 'POST', '/heartbeat', { physical: 'p', host: 'h', periodMs: 1, nodes: [], acks: 'x' }),
    /acks are at most 10000 tags/,
  );
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
