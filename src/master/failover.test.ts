import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryLogger } from '../core/logger.js';
import { freePort } from '../core/ports.js';
import { MasterFailover } from './failover.js';
import { Master } from './master.js';
import { MasterServer } from './server.js';
import { MemoryStore } from './store.js';

const logger = memoryLogger();

async function masterOn(t: { after(fn: () => Promise<void>): void }, token?: string): Promise<MasterServer> {
  const server = await MasterServer.start(new Master({ store: new MemoryStore(), logger }), {
    bind: '127.0.0.1',
    heartbeatPort: 0,
    adminPort: 0,
    token,
    logger,
  });
  t.after(() => server.close());
  return server;
}

test('a call moves to the next master when its own does not answer, and stays there', async (t) => {
  const live = await masterOn(t);
  const dead = await freePort();
  const moves: string[] = [];
  const masters = MasterFailover.parse(
    `localhost:${dead}, 127.0.0.1:${live.admin.port}`,
    35873,
    undefined,
    (from, to) => moves.push(`${from.port}->${to.port}`),
  );
  assert.equal(masters.address.port, dead);
  const rec = await masters.call<{ id: number }>('POST', '/commands', { cmd: 'noop', args: [] });
  assert.equal(rec.id, 1);
  assert.deepEqual(moves, [`${dead}->${live.admin.port}`]);
  assert.equal(masters.address.port, live.admin.port);
  await masters.call('GET', '/status');
  assert.equal(moves.length, 1, 'the master that answers is kept');
});

test('a refusal is an answer, not a dead master; no master answering is one error naming them all', async (t) => {
  const guarded = await masterOn(t, 'secret');
  const live = await masterOn(t);
  const refused = new MasterFailover([
    { host: '127.0.0.1', port: guarded.admin.port, token: 'wrong' },
    { host: '127.0.0.1', port: live.admin.port },
  ]);
  await assert.rejects(refused.call('GET', '/status'), /refused \/status: wrong or missing token/);
  const [p1, p2] = [await freePort(), await freePort()];
  await assert.rejects(
    MasterFailover.parse(`127.0.0.1:${p1},127.0.0.1:${p2}`, 1, undefined).call('GET', '/status'),
    new RegExp(`no master answered \\(127\\.0\\.0\\.1:${p1}, 127\\.0\\.0\\.1:${p2}\\): .*ECONNREFUSED`),
  );
  assert.throws(() => MasterFailover.parse(' , ', 1, undefined), /no master address given/);
});
