import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { builtinSpecChecker } from '../../test/support/spec-checker.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { memoryLogger } from '../core/logger.js';
import { type Heartbeat, Master } from './master.js';
import { type ConfigStore, FileStore, MemoryStore } from './store.js';

const logger = memoryLogger();
const check = builtinSpecChecker(logger);

async function master(store: ConfigStore = new MemoryStore(), now?: () => number): Promise<Master> {
  const m = new Master({ store, logger, check, ...(now ? { now } : {}) });
  await m.ready;
  return m;
}

const beat = (physical: string, nodes: Heartbeat['nodes'] = []): Heartbeat => ({
  physical,
  host: 'h',
  periodMs: 1000,
  nodes,
});

test('config gives each new text a new version; the same text (spaced otherwise) keeps it', async () => {
  const m = await master();
  const a = await m.exec('config', ['n1', 'asciisynth(5, 10)', 'console']);
  assert.equal(a.state, 'SUCCEEDED', a.message);
  assert.equal(a.message, 'n1 version 1');
  assert.equal(
    (await m.exec('config', ['n1', 'asciisynth( 5,10 )', ' console'])).message,
    'n1 unchanged at version 1',
  );
  assert.equal((await m.exec('config', ['n1', 'asciisynth(6, 10)', 'console'])).message, 'n1 version 2');
  const [c] = m.configs();
  assert.equal(c!.source, 'asciisynth(6, 10)');
  assert.match(c!.hash, /^[0-9a-f]{16}$/);
});

test('a malformed or unknown spec fails config with its place, and the previous configuration stays', async () => {
  const m = await master();
  await m.exec('config', ['n1', 'asciisynth(5, 10)', 'console']);
  const syntax = await m.exec('config', ['n1', 'asciisynth(5, 10', 'console']);
  assert.equal(syntax.state, 'FAILED');
  assert.match(syntax.message, /^config n1 source:1:17: expected/);
  const unknown = await m.exec('config', ['n1', 'asciisynth(5, 10)', '{ batch(2) => consle }']);
  assert.equal(unknown.state, 'FAILED');
  assert.match(unknown.message, /^config n1 sink:1:15: unknown sink "consle"/);
  const multi = await m.exec('multiconfig', ['a : console | console ;\nb : console | [ console, ;']);
  assert.equal(multi.state, 'FAILED');
  assert.match(multi.message, /^multiconfig:2:/);
  assert.deepEqual(
    m.configs().map((c) => [c.name, c.version, c.source]),
    [['n1', 1, 'asciisynth(5, 10)']],
  );
});

test('commands get increasing ids, run in order and end SUCCEEDED or FAILED with a message', async () => {
  const m = await master();
  const [a, b, c] = await Promise.all([
    m.submit('noop', []),
    m.submit('nosuch', []),
    m.submit('config', ['only-one-arg']),
  ]);
  assert.deepEqual([a.id, b.id, c.id], [1, 2, 3]);
  await m.idle();
  assert.equal((await m.command(1))!.state, 'SUCCEEDED');
  assert.equal((await m.command(2))!.state, 'FAILED');
  assert.match((await m.command(2))!.message, /unknown command "nosuch"/);
  assert.match((await m.command(3))!.message, /config takes 3 argument\(s\): config logicalnode source sink/);
  assert.equal(await m.command(4), undefined);
});

test('a physical node gets the logical node of its name, its configuration, and its reported state', async () => {
  let now = 1_000_000;
  const m = await master(new MemoryStore(), () => now);
  assert.deepEqual((await m.heartbeat(beat('host1'))).nodes, [{ name: 'host1', version: 0 }]);
  assert.equal(m.nodeStatus()[0]!.state, 'HELLO');
  await m.exec('config', ['host1', 'asciisynth(5, 10)', 'console']);
  const reply = await m.heartbeat(beat('host1', [{ name: 'host1', state: 'HELLO', version: 0 }]));
  assert.deepEqual(reply.nodes, [
    { name: 'host1', version: 1, spec: 'host1 : asciisynth(5, 10) | console ;' },
  ]);
  await m.heartbeat(beat('host1', [{ name: 'host1', state: 'ACTIVE', version: 1, applied: 'APPLIED' }]));
  assert.deepEqual(
    m.nodeStatus().map((s) => [s.name, s.physical, s.state, s.version, s.applied]),
    [['host1', 'host1', 'ACTIVE', 1, 'APPLIED']],
  );
  now += 3000;
  assert.equal(m.nodeStatus()[0]!.state, 'ACTIVE', 'three periods is not yet missing three heartbeats');
  now += 1;
  assert.equal(m.nodeStatus()[0]!.state, 'LOST');
});

test('spawn, unmap, decommission and their errors', async () => {
  const m = await master();
  await m.heartbeat(beat('host1'));
  assert.equal((await m.exec('spawn', ['host1', 'agent1'])).state, 'SUCCEEDED');
  const dup = await m.exec('spawn', ['host2', 'agent1']);
  assert.equal(dup.state, 'FAILED');
  assert.match(dup.message, /"agent1" is already mapped to "host1"/);
  assert.deepEqual(
    (await m.heartbeat(beat('host1'))).nodes.map((n) => n.name),
    ['host1', 'agent1'],
  );
  assert.match((await m.exec('unmap', ['host2', 'agent1'])).message, /"agent1" is not mapped to "host2"/);
  assert.equal((await m.exec('unmap', ['host1', 'agent1'])).state, 'SUCCEEDED');
  assert.equal((await m.exec('spawn', ['host2', 'agent1'])).state, 'SUCCEEDED');
  assert.match((await m.exec('decommission', ['ghost'])).message, /unknown logical node "ghost"/);
  await m.exec('config', ['agent1', 'console', 'console']);
  assert.equal((await m.exec('decommission', ['agent1'])).state, 'SUCCEEDED');
  assert.deepEqual(m.configs(), []);
  assert.deepEqual(m.mappings().host2, []);
  assert.equal(m.nodeStatus().find((s) => s.name === 'agent1')!.state, 'DECOMMISSIONED');
  assert.equal((await m.exec('unmapAll', [])).message, 'unmapped 1 logical node(s)');
  assert.deepEqual((await m.heartbeat(beat('host1'))).nodes, []);
});

test('refresh gives a new version of the same text; unconfig sets null | null', async () => {
  const m = await master();
  await m.exec('multiconfig', ['a : console | console ; b : asciisynth(1, 1) | console ;']);
  assert.equal((await m.exec('refresh', ['a'])).state, 'SUCCEEDED');
  assert.match((await m.exec('refresh', ['zz'])).message, /unknown logical node "zz"/);
  assert.deepEqual(
    m.configs().map((c) => [c.name, c.version]),
    [
      ['a', 3],
      ['b', 2],
    ],
  );
  await m.exec('refreshAll', []);
  await m.exec('unconfig', ['b']);
  assert.deepEqual(
    m.configs().map((c) => [c.name, c.version, c.source, c.sink]),
    [
      ['a', 4, 'console', 'console'],
      ['b', 6, 'null', 'null'],
    ],
  );
});

test('the embedded store keeps every configuration and mapping across a restart, written atomically', async (t) => {
  const dir = tempDir('master-store', t);
  const first = await master(new FileStore(dir));
  await first.exec('multiconfig', ['a : console | console ; b : asciisynth(1, 1) | console ;']);
  await first.heartbeat(beat('host1'));
  await first.exec('spawn', ['host1', 'a']);
  assert.deepEqual(readdirSync(dir), ['master-state.json'], 'no temporary file is left');
  const second = await master(new FileStore(dir));
  assert.deepEqual(second.configs(), first.configs());
  assert.deepEqual(second.mappings(), { host1: ['host1', 'a'] });
  assert.equal((await second.exec('config', ['c', 'console', 'console'])).message, 'c version 3');

  const save = join(dir, 'saved.flume');
  assert.equal((await second.exec('save', [save])).state, 'SUCCEEDED');
  const text = readFileSync(save, 'utf8');
  assert.match(text, /^a : console \| console ;$/m);
  const third = await master();
  assert.equal((await third.exec('load', [save])).state, 'SUCCEEDED');
  assert.deepEqual(
    third.configs().map((c) => [c.name, c.source, c.sink]),
    second.configs().map((c) => [c.name, c.source, c.sink]),
  );
  assert.match((await third.exec('load', [join(dir, 'none')])).message, /ENOENT|no such file/);

  writeFileSync(join(dir, 'master-state.json'), '{"half');
  await assert.rejects(new FileStore(dir).load(), /is not a master state file/);
  // A master whose state could not be loaded refuses changes rather than overwrite it with nothing.
  const broken = new Master({ store: new FileStore(dir), logger, check });
  await assert.rejects(broken.ready, /is not a master state file/);
  assert.match((await broken.exec('config', ['x', 'null', 'null'])).message, /is not a master state file/);
  assert.equal(readFileSync(join(dir, 'master-state.json'), 'utf8'), '{"half');
});

test('a second process claiming the name of a live physical node is refused until the first is LOST', async () => {
  let now = 1_000_000;
  const m = await master(new MemoryStore(), () => now);
  await m.heartbeat({ ...beat('host1'), instance: 'first', host: 'a' });
  now += 1000;
  await assert.rejects(
    m.heartbeat({ ...beat('host1'), instance: 'second', host: 'b' }),
    /physical node "host1" is already heartbeating from a; a second process \(on b\) claims its name/,
  );
  await m.heartbeat({ ...beat('host1'), instance: 'first', host: 'a' });
  now += 3001;
  assert.equal(
    (await m.heartbeat({ ...beat('host1'), instance: 'second', host: 'b' })).nodes[0]!.name,
    'host1',
  );
  await assert.rejects(
    m.heartbeat({ ...beat('host1'), instance: 'first', host: 'a' }),
    /already heartbeating from b/,
  );
});

test('rollback returns a node to an earlier configuration as a new version; rollbackAll the fleet', async () => {
  const m = await master();
  await m.exec('config', ['a', 'asciisynth(1, 1)', 'console']);
  await m.exec('config', ['a', 'asciisynth(2, 1)', 'console']);
  await m.exec('config', ['b', 'asciisynth(3, 1)', 'console']);
  await m.exec('config', ['a', 'asciisynth(4, 1)', 'console']);
  const back = await m.exec('rollback', ['a']);
  assert.equal(back.message, 'a rolled back to version 2 (now version 5)');
  assert.equal(m.configs()[0]!.source, 'asciisynth(2, 1)');
  assert.equal((await m.exec('rollback', ['a', '1'])).message, 'a rolled back to version 1 (now version 6)');
  assert.match((await m.exec('rollback', ['a', '3'])).message, /no earlier version 3 \(kept: 1, 2, 4, 5\)/);
  assert.match((await m.exec('rollback', ['b'])).message, /"b" has no earlier configuration/);
  assert.match((await m.exec('rollback', ['zz'])).message, /unknown logical node "zz"/);
  assert.equal((await m.exec('rollbackAll', [])).message, 'a rolled back to version 5 (now version 7)');
  assert.deepEqual(
    m.configs().map((c) => [c.name, c.version, c.source]),
    [
      ['a', 7, 'asciisynth(2, 1)'],
      ['b', 3, 'asciisynth(3, 1)'],
    ],
  );
});

test('nodes joining together are written in one batch, each mapped to its own logical node with its address', async () => {
  class CountingStore extends MemoryStore {
    saves = 0;
    override async save(data: Parameters<MemoryStore['save']>[0]): Promise<void> {
      this.saves++;
      await super.save(data);
    }
  }
  const store = new CountingStore();
  const m = await master(store);
  await m.exec('config', ['j7', 'console', 'console']);
  const before = store.saves;
  const names = Array.from({ length: 50 }, (_, i) => `j${i}`);
  const replies = await Promise.all(
    names.map((n) => m.heartbeat({ ...beat(n), address: `10.0.0.${n.slice(1)}` })),
  );
  assert.deepEqual(
    replies.map((r) => r.nodes.map((x) => x.name)),
    names.map((n) => [n]),
  );
  assert.equal(replies[7]!.nodes[0]!.version, 1, 'j7 gets its configuration on its first heartbeat');
  for (const n of names) assert.deepEqual(m.mappings()[n], [n]);
  assert.ok(store.saves - before < 5, `${store.saves - before} store writes for 50 joins`);
  const reloaded = await store.load();
  assert.equal(reloaded.translation?.addresses.j42, '10.0.0.42');
  assert.deepEqual(reloaded.mappings.j49, ['j49']);
});

test('save and load stay inside the master file directory; names with control characters are refused', async (t) => {
  const dir = tempDir('master-files', t);
  const m = new Master({ store: new MemoryStore(), logger, check, fileDir: dir });
  await m.ready;
  assert.equal((await m.exec('config', ['a', 'console', 'console'])).state, 'SUCCEEDED');
  assert.equal((await m.exec('save', ['fleet.flume'])).state, 'SUCCEEDED');
  assert.match(readFileSync(join(dir, 'fleet.flume'), 'utf8'), /^a : console \| console ;$/m);
  assert.equal((await m.exec('load', ['fleet.flume'])).state, 'SUCCEEDED');
  for (const name of ['../escape.flume', '/etc/passwd', 'a\0b', '.']) {
    for (const cmd of ['save', 'load']) {
      const r = await m.exec(cmd, [name]);
      assert.equal(r.state, 'FAILED', `${cmd} ${name}`);
      assert.match(r.message, /is not a file name inside .*: save and load read and write only there/);
    }
  }
  assert.deepEqual(readdirSync(dir), ['fleet.flume']);
  const bad = await m.exec('config', ['x\0y', 'console', 'console']);
  assert.equal(bad.state, 'FAILED');
  assert.match(
    bad.message,
    /a logical node name must be non-empty text without control characters, got "x\\u0000y"/,
  );
  assert.equal((await m.exec('spawn', ['host\n1', 'a'])).state, 'FAILED');
  assert.deepEqual(
    m.configs().map((c) => c.name),
    ['a'],
  );
});

test('group commit: commands submitted at once share saves, and each is answered only once a save holding it is durable', async () => {
  /** A store whose saves wait until released, recording what each save held and when it ended. */
  class GatedStore extends MemoryStore {
    saves: { held: string; durable: boolean }[] = [];
    private release: (() => void)[] = [];
    open = false;
    override save(data: Parameters<MemoryStore['save']>[0]): Promise<void> {
      const save = { held: JSON.stringify(data.configs), durable: false };
      this.saves.push(save);
      const written = super.save(data);
      return new Promise<void>((resolve) => {
        const done = () => {
          save.durable = true;
          resolve(written);
        };
        if (this.open) done();
        else this.release.push(done);
      });
    }
    releaseAll(): void {
      for (const r of this.release.splice(0)) r();
    }
  }
  const store = new GatedStore();
  const m = await master(store);
  const n = 20;
  const answered: string[] = [];
  const runs = Array.from({ length: n }, (_, i) =>
    m.exec('config', [`g${i}`, `asciisynth(${i}, 1)`, 'null']).then((rec) => {
      // Answered: some save that already ended holds this node's configuration.
      assert.ok(
        store.saves.some((s) => s.durable && s.held.includes(`"g${i}"`)),
        `g${i} answered before a save holding it was durable`,
      );
      answered.push(rec.state);
    }),
  );
  await waitFor(() => store.saves.length === 1, 'the first save');
  // The first save is in flight: the other commands are applied meanwhile and wait for the next one.
  await waitFor(
    () => m.configs().length === n,
    () => `${m.configs().length} configs applied`,
  );
  assert.deepEqual(answered, [], 'nothing is answered while its save is not durable');
  store.releaseAll();
  await waitFor(() => store.saves.length === 2, 'the second save');
  store.open = true;
  store.releaseAll();
  await Promise.all(runs);
  assert.deepEqual(answered, Array(n).fill('SUCCEEDED'));
  assert.equal(store.saves.length, 2, `${store.saves.length} saves for ${n} commands`);
  const saved = await store.load();
  assert.deepEqual(
    Object.keys(saved.configs).sort(),
    m.configs().map((c) => c.name),
  );
});

test('group commit on the embedded store: every command answered is on disk', async (t) => {
  const dir = tempDir('master-group', t);
  const m = await master(new FileStore(dir));
  const recs = await Promise.all(
    Array.from({ length: 30 }, (_, i) => m.exec('config', [`f${i}`, 'console', 'null'])),
  );
  assert.deepEqual(
    recs.map((r) => r.state),
    Array(30).fill('SUCCEEDED'),
  );
  const onDisk = JSON.parse(readFileSync(join(dir, 'master-state.json'), 'utf8')) as {
    configs: Record<string, unknown>;
  };
  assert.equal(Object.keys(onDisk.configs).length, 30);
});

test('a save that fails fails every change it holds and those applied meanwhile; the state is as it was', async () => {
  class FailingStore extends MemoryStore {
    failing = false;
    override async save(data: Parameters<MemoryStore['save']>[0]): Promise<void> {
      // The state is read before the save returns, as the stores do, and the failure comes later.
      const text = JSON.stringify(data);
      await new Promise((r) => setImmediate(r));
      if (this.failing) throw new Error('disk full');
      await super.save(JSON.parse(text));
    }
  }
  const store = new FailingStore();
  const m = await master(store);
  await m.exec('config', ['a', 'console', 'null']);
  await m.exec('spawn', ['host1', 'a']);
  const before = JSON.stringify(m.data);
  store.failing = true;
  const recs = await Promise.all([
    m.exec('config', ['a', 'asciisynth(1, 1)', 'null']),
    m.exec('config', ['b', 'console', 'null']),
    m.exec('unmap', ['host1', 'a']),
    m.exec('decommission', ['a']),
  ]);
  assert.deepEqual(
    recs.map((r) => [r.state, r.message]),
    Array(4).fill(['FAILED', 'disk full']),
  );
  assert.equal(JSON.stringify(m.data), before);
  store.failing = false;
  assert.equal((await m.exec('config', ['b', 'console', 'null'])).message, 'b version 2');
});

test('a change that throws half-way is taken back whole', async () => {
  const m = await master();
  await m.exec('multiconfig', ['a : console | null ; b : console | null ;']);
  await m.exec('spawn', ['host1', 'a']);
  const before = JSON.stringify(m.data);
  // A refresh of a known node and then an unknown one: the first node's new version is taken back.
  const half = (m as unknown as { mutate(f: () => void): Promise<void> }).mutate(() => {
    m.refresh(['a', 'zz']);
  });
  await assert.rejects(half, /unknown logical node "zz"/);
  assert.equal(JSON.stringify(m.data), before);
  assert.equal(m.configs()[0]!.version, 1);
});

test('a join that maps nodes without configuration translates nothing; one with a configuration does', async () => {
  const log = memoryLogger();
  const m = new Master({ store: new MemoryStore(), logger: log, check });
  await m.ready;
  await m.exec('multiconfig', [
    'agent : console | logicalSink("coll") ; coll : collectorSource | null ; e2e : console | autoE2EChain ;',
  ]);
  await m.exec('spawn', ['hostc', 'coll']);
  await m.heartbeat({ ...beat('hostc'), address: '10.0.0.1' });
  const translations = JSON.stringify(m.translations());
  const lines = log.lines.length;
  await Promise.all(
    Array.from({ length: 40 }, (_, i) => m.heartbeat({ ...beat(`plain${i}`), address: `10.1.0.${i}` })),
  );
  assert.equal(Object.keys(m.mappings()).length, 41);
  assert.equal(JSON.stringify(m.translations()), translations);
  assert.equal(
    log.lines.slice(lines).filter((l) => /translated again/.test(l)).length,
    0,
    'no translation ran for the plain joins',
  );
  // The node running "agent" joins: its configuration is translated with it.
  const reply = await m.heartbeat({ ...beat('agent'), address: '10.2.0.1' });
  assert.match(reply.nodes[0]!.spec!, /rpcSink\("10\.0\.0\.1", 35853\)/);
});

test('a node that finds its assigned port held by another process is given the next one, and its peers follow', async () => {
  const log = memoryLogger();
  const m = new Master({ store: new MemoryStore(), logger: log, check });
  await m.ready;
  await m.exec('multiconfig', ['agent : console | logicalSink("coll") ; coll : collectorSource | null ;']);
  await m.exec('spawn', ['hostc', 'coll']);
  await m.exec('spawn', ['hosta', 'agent']);
  await m.heartbeat({ ...beat('hostc'), address: '10.0.0.1' });
  await m.heartbeat({ ...beat('hosta'), address: '10.0.0.2' });
  assert.match(m.translations().agent!.spec, /rpcSink\("10\.0\.0\.1", 35853\)/);
  const version = m.translations().coll!.version;
  const held = (
    port: number,
    what = `collectorSource: cannot listen on 0.0.0.0:${port}: address already in use`,
  ) =>
    m.heartbeat({
      ...beat('hostc'),
      address: '10.0.0.1',
      nodes: [{ name: 'coll', state: 'ERROR', version: 0, applied: 'FAILED', error: what }],
    });
  // Another error, a port the master did not assign, or a report from another physical node, moves nothing.
  await held(35853, 'collectorSource: cannot listen on 0.0.0.0:35853: permission denied');
  await held(40000);
  await m.heartbeat({
    ...beat('hosta'),
    address: '10.0.0.2',
    nodes: [
      {
        name: 'coll',
        state: 'ERROR',
        version: 0,
        applied: 'FAILED',
        error: 'collectorSource: cannot listen on 0.0.0.0:35853: address already in use',
      },
    ],
  });
  assert.equal(m.translations().coll!.version, version);
  assert.ok(!log.lines.some((l) => /held by another process/.test(l)), log.lines.join('\n'));
  const reply = await held(35853);
  assert.match(reply.nodes[0]!.spec!, /^coll : collectorSource\(35854\) \|/);
  assert.ok(m.translations().coll!.version > version, 'a new version, so the node applies it');
  assert.match(m.translations().agent!.spec, /rpcSink\("10\.0\.0\.1", 35854\)/);
  assert.ok(
    log.lines.some((l) =>
      /port 35853 on hostc is held by another process: coll is given another port/.test(l),
    ),
  );
  // A stale report of the old port changes nothing more; the next port held moves it on.
  await held(35853);
  assert.match(m.translations().coll!.spec, /collectorSource\(35854\)/);
  await held(35854);
  assert.match(m.translations().coll!.spec, /collectorSource\(35855\)/);
});
