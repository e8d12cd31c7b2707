import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { peerSkip } from '../../test/support/peers.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { startZooKeeper, type ZooKeeperEnsemble } from '../../test/support/zookeeper.js';
import { memoryLogger } from '../core/logger.js';
import { freePort } from '../core/ports.js';
import { type CommandRecord, Master } from './master.js';
import {
  type ConfigStore,
  emptyData,
  FileStore,
  type MasterData,
  MemoryStore,
  StoreConflict,
} from './store.js';
import { ZooKeeperStore } from './stores/zookeeper.js';

/**
 * Store conformance: the same tests run against every store (memory, the embedded JSON file, a real
 * ZooKeeper), then what only the durable and the shared ones promise.
 */

const logger = memoryLogger();
const zkSkip = peerSkip('zookeeper');
let zk: ZooKeeperEnsemble | undefined;
let roots = 0;

before(async () => {
  if (zkSkip === false) zk = await startZooKeeper(undefined, 1);
});
after(async () => {
  await zk?.stop();
});

interface Kind {
  name: string;
  skip: false | string;
  /** A new store; `again` opens a second one on the same place (durable and shared kinds). */
  open(t: { after(fn: () => Promise<void> | void): void }): Promise<{
    store: ConfigStore;
    again?: () => Promise<ConfigStore>;
  }>;
}

function closing<S extends ConfigStore>(t: { after(fn: () => Promise<void> | void): void }, s: S): S {
  t.after(() => s.close());
  return s;
}

const KINDS: Kind[] = [
  { name: 'memory', skip: false, open: async (t) => ({ store: closing(t, new MemoryStore()) }) },
  {
    name: 'embedded JSON',
    skip: false,
    open: async (t) => {
      const dir = tempDir('store', t);
      return { store: new FileStore(dir), again: async () => new FileStore(dir) };
    },
  },
  {
    name: 'ZooKeeper',
    skip: zkSkip,
    open: async (t) => {
      const root = `/sluice-test/r${++roots}`;
      const open = async () =>
        closing(t, await ZooKeeperStore.open({ servers: zk!.connectString, root, logger }));
      return { store: await open(), again: open };
    },
  },
];

const sample = (): MasterData => ({
  ...emptyData(),
  nextVersion: 3,
  configs: {
    a: { name: 'a', source: 'console', sink: 'console', version: 2, hash: '0123456789abcdef', time: 5 },
  },
  mappings: { host1: ['host1', 'a'], host2: [] },
  decommissioned: ['gone'],
  past: {
    a: [{ name: 'a', source: 'null', sink: 'console', version: 1, hash: 'fedcba9876543210', time: 4 }],
  },
});

const record = (cmd: string): CommandRecord => ({
  id: 0,
  cmd,
  args: ['x'],
  state: 'PENDING',
  message: '',
  time: 7,
});

for (const kind of KINDS) {
  describe(`${kind.name} store`, { skip: kind.skip }, () => {
    test('starts empty, and loads what it saved, as a copy', async (t) => {
      const { store } = await kind.open(t);
      assert.deepEqual(await store.load(), emptyData());
      const data = sample();
      await store.save(data);
      data.configs.a!.source = 'changed after save';
      assert.deepEqual(await store.load(), sample());
      const next = await store.load();
      next.nextVersion = 4;
      await store.save(next);
      assert.equal((await store.load()).nextVersion, 4);
    });

    test('the command history gives increasing ids and keeps states and messages', async (t) => {
      const { store } = await kind.open(t);
      const recs = [record('noop'), record('config'), record('spawn')];
      const ids: number[] = [];
      for (const r of recs) {
        r.id = await store.history.append(r);
        ids.push(r.id);
      }
      assert.deepEqual(ids, [ids[0], ids[0]! + 1, ids[0]! + 2]);
      recs[1]!.state = 'FAILED';
      recs[1]!.message = 'config takes 3 argument(s)';
      await store.history.update(recs[1]!);
      assert.deepEqual(await store.history.get(ids[1]!), recs[1]);
      assert.deepEqual(
        (await store.history.recent(2)).map((r) => [r.id, r.cmd, r.state]),
        [
          [ids[1], 'config', 'FAILED'],
          [ids[2], 'spawn', 'PENDING'],
        ],
      );
      assert.equal(await store.history.get(ids[2]! + 1), undefined);
    });

    test('a master on it configures, maps and rolls back', async (t) => {
      const { store } = await kind.open(t);
      const m = new Master({ store, logger });
      await m.ready;
      assert.equal((await m.exec('config', ['a', 'asciisynth(1, 1)', 'console'])).message, 'a version 1');
      assert.equal((await m.exec('config', ['a', 'asciisynth(2, 1)', 'console'])).message, 'a version 2');
      assert.equal((await m.exec('spawn', ['host1', 'a'])).state, 'SUCCEEDED');
      const back = await m.exec('rollback', ['a']);
      assert.equal(back.message, 'a rolled back to version 1 (now version 3)');
      const failed = await m.exec('spawn', ['host2', 'a']);
      assert.equal(failed.state, 'FAILED');
      assert.equal((await m.command(failed.id))!.state, 'FAILED');
      const saved = await store.load();
      assert.equal(saved.configs.a!.source, 'asciisynth(1, 1)');
      assert.deepEqual(saved.mappings, { host1: ['a'] });
      assert.equal(saved.nextVersion, 4);
    });

    if (kind.name !== 'memory')
      test('a second store on the same place (a restarted master) loads every configuration and mapping', async (t) => {
        const { store, again } = await kind.open(t);
        const m = new Master({ store, logger });
        await m.exec('multiconfig', ['a : console | console ; b : null | null ;']);
        await m.exec('spawn', ['host1', 'b']);
        const m2 = new Master({ store: await again!(), logger });
        await m2.ready;
        assert.deepEqual(m2.configs(), m.configs());
        assert.deepEqual(m2.mappings(), { host1: ['b'] });
        assert.equal((await m2.exec('config', ['c', 'null', 'null'])).message, 'c version 3');
      });
  });
}

describe('ZooKeeper store shared by several masters', { skip: zkSkip }, () => {
  const open = async (t: { after(fn: () => Promise<void> | void): void }, root: string) =>
    closing(t, await ZooKeeperStore.open({ servers: zk!.connectString, root, logger }));

  test('a save on a state another master saved meanwhile is refused as a conflict', async (t) => {
    const root = `/sluice-test/r${++roots}`;
    const a = await open(t, root);
    const b = await open(t, root);
    await a.load();
    await b.load();
    await a.save(sample());
    await assert.rejects(b.save(emptyData()), StoreConflict);
    assert.deepEqual(await b.load(), sample(), 'the first save stands');
    await b.save({ ...sample(), nextVersion: 9 });
    assert.equal((await a.load()).nextVersion, 9);
  });

  test('two masters: one sees what the other configured, versions and command ids never collide', async (t) => {
    const root = `/sluice-test/r${++roots}`;
    const a = new Master({ store: await open(t, root), logger });
    const b = new Master({ store: await open(t, root), logger });
    await Promise.all([a.ready, b.ready]);
    // Both masters change the state at once: the compare-and-set makes the loser run its change again.
    const results = await Promise.all([
      ...[1, 2, 3, 4].map((i) => a.exec('config', [`a${i}`, 'null', 'console'])),
      ...[1, 2, 3, 4].map((i) => b.exec('config', [`b${i}`, 'null', 'console'])),
    ]);
    assert.ok(
      results.every((r) => r.state === 'SUCCEEDED'),
      JSON.stringify(results),
    );
    assert.equal(new Set(results.map((r) => r.id)).size, 8, 'command ids are unique across masters');
    await waitFor(
      () => a.configs().length === 8 && b.configs().length === 8,
      'both masters to see 8 configurations',
      10_000,
    );
    assert.deepEqual(
      a
        .configs()
        .map((c) => c.version)
        .sort((x, y) => x - y),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.deepEqual(a.configs(), b.configs());
    // A command run through one master is followed through the other.
    const rec = await a.exec('spawn', ['host1', 'a1']);
    assert.deepEqual(await b.command(rec.id), rec);
    await waitFor(() => b.mappings().host1?.includes('a1') === true, 'master B to see the mapping', 10_000);
    const [hb] = (await b.heartbeat({ physical: 'host1', host: 'h', periodMs: 1000, nodes: [] })).nodes;
    const version = a.configs().find((c) => c.name === 'a1')!.version;
    assert.deepEqual(hb, { name: 'a1', version, spec: 'a1 : null | console ;' });
  });

  test('an ensemble that does not answer fails the open within its timeout, naming the servers', async () => {
    const port = await freePort();
    const t0 = Date.now();
    await assert.rejects(
      ZooKeeperStore.open({ servers: `127.0.0.1:${port}`, logger, timeoutMs: 1500 }),
      new RegExp(`ZooKeeper 127\\.0\\.0\\.1:${port} did not answer within 1500 ms`),
    );
    assert.ok(Date.now() - t0 < 5000);
  });
});
