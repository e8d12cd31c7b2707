import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { channelConformance } from '../../test/conformance/channel.js';
import { SiteConfig } from '../core/config.js';
import { Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import { Priority } from '../core/priority.js';
import { type FileChannel, fileChannel } from './file.js';
import { CHECKPOINT_FILE } from './file-checkpoint.js';
import type { Channel } from './types.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-filech-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function dirsProps(dir = join(root, `ch${n++}`)): Record<string, string> {
  return { checkpointDir: join(dir, 'checkpoint'), dataDirs: join(dir, 'data'), minimumRequiredSpace: '0' };
}
const ctx = (logger = memoryLogger()) => ({
  name: 'fc',
  config: SiteConfig.defaults(),
  logger,
  agentName: 'a1',
});
const make = (props: Record<string, string>, logger = memoryLogger()) =>
  fileChannel.create({ checkpointInterval: '600000', ...props }, ctx(logger)) as FileChannel;

channelConformance('file', { make: (props) => make({ ...dirsProps(), ...props }) });

const ev = (i: number) => Event.of(`e${i}`, { timestamp: 5000 + i, nanos: i });
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => ev(from + i));
const names = (from: number, count: number) => Array.from({ length: count }, (_, i) => `e${from + i}`);

async function putCommit(ch: Channel, events: Event[]): Promise<void> {
  const tx = ch.transaction();
  tx.begin();
  await tx.put(events);
  await tx.commit();
  tx.close();
}

async function takeCommit(ch: Channel, max: number): Promise<string[]> {
  const tx = ch.transaction();
  tx.begin();
  const got = await tx.take(max);
  await tx.commit();
  tx.close();
  return got.map((e) => e.body.toString());
}

async function drainAll(ch: Channel): Promise<string[]> {
  const out: string[] = [];
  while (ch.size > 0) out.push(...(await takeCommit(ch, Math.min(100, ch.size))));
  return out;
}

describe('file channel durability', () => {
  it('rebuilds committed events after a restart; uncommitted takes come back, uncommitted puts do not', async () => {
    for (const checkpointOnClose of ['true', 'false']) {
      const props = { ...dirsProps(), checkpointOnClose, 'keep-alive': '0.05' };
      const a = make(props);
      await a.start();
      await putCommit(a, range(0, 10));
      await putCommit(a, range(10, 10));
      assert.deepEqual(await takeCommit(a, 3), names(0, 3));
      const open = a.transaction();
      open.begin();
      assert.deepEqual(
        (await open.take(5)).map((e) => e.body.toString()),
        names(3, 5),
      );
      const staged = a.transaction();
      staged.begin();
      await staged.put(range(100, 4));
      await a.stop();

      const b = make(props);
      await b.start();
      assert.equal(b.lastRecovery?.fromCheckpoint, checkpointOnClose === 'true', checkpointOnClose);
      assert.equal(b.size, 17);
      // The bytes it holds are rebuilt with the queue: "e3" ... "e9" and "e10" ... "e19".
      assert.equal(b.bytes, 7 * 2 + 10 * 3);
      assert.deepEqual(await drainAll(b), names(3, 17));
      assert.equal(b.bytes, 0);
      await b.stop();
    }
  });

  it('keeps every event field across a restart', async () => {
    const props = dirsProps();
    const a = make(props);
    await a.start();
    const e = Event.of(Buffer.from([0, 1, 2, 255]), {
      timestamp: 1234567890123,
      nanos: 987654321,
      priority: Priority.WARN,
      host: 'web-7',
      attrs: { service: 'api', raw: Buffer.from([9, 8]) },
    });
    await putCommit(a, [e]);
    await a.stop();
    const b = make(props);
    await b.start();
    const tx = b.transaction();
    tx.begin();
    const [got] = await tx.take(1);
    await tx.commit();
    tx.close();
    assert.deepEqual(got!.body, e.body);
    assert.equal(got!.timestamp, 1234567890123);
    assert.equal(got!.nanos, 987654321);
    assert.equal(got!.priority, Priority.WARN);
    assert.equal(got!.host, 'web-7');
    assert.equal(got!.getAttrString('service'), 'api');
    assert.deepEqual(got!.getAttr('raw'), Buffer.from([9, 8]));
    await b.stop();
  });

  it('replays from a checkpoint plus the log after it', async () => {
    const props = { ...dirsProps(), checkpointOnClose: 'false' };
    const a = make(props);
    await a.start();
    await putCommit(a, range(0, 50));
    await takeCommit(a, 20);
    await a.checkpoint();
    const position = a.log!.endPosition;
    await putCommit(a, range(50, 10));
    await takeCommit(a, 5);
    await a.stop();
    const b = make(props);
    await b.start();
    assert.deepEqual(b.lastRecovery, { fromCheckpoint: true, replayedFrom: position, events: 35 });
    assert.deepEqual(await drainAll(b), names(25, 35));
    await b.stop();
  });

  it('falls back to replaying the whole log when the checkpoint is damaged', async () => {
    const props = dirsProps();
    const a = make(props);
    await a.start();
    await putCommit(a, range(0, 30));
    await takeCommit(a, 12);
    await a.stop();
    writeFileSync(join(props.checkpointDir!, CHECKPOINT_FILE), 'not a checkpoint at all, really');
    const logger = memoryLogger();
    const b = make(props, logger);
    await b.start();
    assert.match(
      logger.lines.join('\n'),
      /WARN channel fc: checkpoint unusable \(not a checkpoint file\): replaying the whole log/,
    );
    assert.equal(b.lastRecovery?.fromCheckpoint, false);
    assert.deepEqual(await drainAll(b), names(12, 18));
    await b.stop();
  });

  it('rebuilds correctly when transactions commit takes out of order', async () => {
    const props = { ...dirsProps(), checkpointOnClose: 'false' };
    const a = make(props);
    await a.start();
    await putCommit(a, range(0, 30));
    const t1 = a.transaction();
    t1.begin();
    await t1.take(10);
    const t2 = a.transaction();
    t2.begin();
    await t2.take(10);
    await t2.commit(); // takes e10..e19 from the middle of the put record
    t2.close();
    await t1.rollback();
    t1.close();
    await a.stop();
    const b = make(props);
    await b.start();
    assert.deepEqual(await drainAll(b), [...names(0, 10), ...names(20, 10)]);
    await b.stop();
  });

  it('deletes log segments that a checkpoint shows are consumed, and restarts from what is left', async () => {
    const dirs = dirsProps();
    const props = { ...dirs, maxFileSize: '1000', checkpointOnClose: 'true' };
    const a = make(props);
    await a.start();
    for (let i = 0; i < 40; i++) await putCommit(a, range(i * 10, 10));
    const segs = () => readdirSync(dirs.dataDirs!).filter((f) => f.endsWith('.wal')).length;
    const before = segs();
    assert.ok(before > 10, `${before} segments`);
    for (let i = 0; i < 30; i++) await takeCommit(a, 10);
    await a.checkpoint();
    const kept = segs();
    assert.ok(kept < before / 2, `kept ${kept} of ${before} segments`);
    assert.ok(a.log!.firstPosition > 0);
    await a.stop();
    const b = make(props);
    await b.start();
    assert.deepEqual(await drainAll(b), names(300, 100));
    await b.stop();
  });

  it('refuses puts while free space is below minimumRequiredSpace, but still serves takes', async () => {
    const props = {
      ...dirsProps(),
      minimumRequiredSpace: String(Number.MAX_SAFE_INTEGER),
      'keep-alive': '0.05',
    };
    const logger = memoryLogger();
    const a = make(props, logger);
    await a.start();
    const tx = a.transaction();
    tx.begin();
    await tx.put([ev(0)]);
    assert.throws(
      () => tx.commit(),
      (e: Error & { code?: string; retriable?: boolean }) =>
        e.code === 'SLUICE_STORAGE' && e.retriable === true && /below minimumRequiredSpace/.test(e.message),
    );
    await tx.rollback();
    tx.close();
    assert.deepEqual(await takeCommit(a, 1), []);
    await a.stop();
  });

  it('shares one log sync between commits made at the same time', async () => {
    const a = make(dirsProps());
    await a.start();
    await Promise.all(Array.from({ length: 20 }, (_, i) => putCommit(a, range(i * 5, 5))));
    const stats = a.log!.stats;
    assert.equal(stats.appends, 20);
    assert.ok(stats.syncs < 10, `${stats.syncs} syncs for 20 concurrent commits`);
    assert.equal(a.size, 100);
    await a.stop();
  });

  it('places default directories under the home directory by agent and channel name', () => {
    const ch = fileChannel.create({}, ctx()) as FileChannel;
    const opts = (ch as unknown as { opts: { checkpointDir: string; dataDir: string } }).opts;
    assert.equal(opts.checkpointDir, join(homedir(), '.sluice', 'file-channel', 'a1', 'fc', 'checkpoint'));
    assert.equal(opts.dataDir, join(homedir(), '.sluice', 'file-channel', 'a1', 'fc', 'data'));
    assert.equal(ch.capacity, 1_000_000);
    assert.equal(ch.transactionCapacity, 10_000);
  });
});
