import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CollectingSink, FailingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { BoundArgs } from '../catalog/types.js';
import { SiteConfig } from '../core/config.js';
import { isFatal } from '../core/errors.js';
import { InsistentOpenSink } from '../decorators/insistentOpen.js';
import { DiskFailoverSink, diskFailoverDeco } from './disk-failover.js';
import { InsistentAppendSink } from './insistent-append.js';
import { SpillLog } from './spill.js';

function dfo(child: CollectingSink, dir: string, maxMillis = 50): DiskFailoverSink {
  return new DiskFailoverSink(child, { maxMillis, dir: () => dir, logger: testContext().logger });
}

test('diskFailover passes batches through while the sub sink takes them, and spills nothing', async (t) => {
  const dir = tempDir('dfo', t);
  const child = new CollectingSink();
  const s = dfo(child, dir);
  await s.open();
  await waitFor(() => child.isOpen, 'the drainer opened the sub sink');
  for (let i = 0; i < 5; i++) await s.append(makeBatch(10, 'e', i * 10));
  await s.close();
  assert.equal(child.count, 50);
  assert.equal(s.spillStats, undefined);
  assert.deepEqual(s.counts(), { delivered: 50, dropped: 0, retried: 0 });
});

test('diskFailover spills while the sub sink fails and drains the backlog in order when it returns', async (t) => {
  const dir = tempDir('dfo', t);
  const child = new FailingSink({ failAppends: 8 });
  const s = dfo(child, dir, 20);
  await s.open();
  await waitFor(() => child.isOpen, 'the sub sink opened');
  for (let i = 0; i < 5; i++) await s.append(makeBatch(10, 'e', i * 10));
  await waitFor(
    () => child.count === 50,
    () => `all 50 delivered (got ${child.count})`,
  );
  const bodies = child.bodies();
  assert.equal(new Set(bodies).size, 50, 'no duplicates');
  // The spilled batches come back oldest first.
  const order = bodies.map((b) => Number(b.slice(1)));
  assert.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
  );
  await s.close();
  assert.ok(child.appendFailures >= 8);
});

test('what was spilled survives a close and is sent by the next instance', async (t) => {
  const dir = tempDir('dfo', t);
  const down = new FailingSink({ failAppends: 1_000_000 });
  const first = dfo(down, dir, 10_000);
  await first.open();
  await waitFor(() => down.isOpen, 'open');
  await first.append(makeBatch(7, 'a'));
  await first.append(makeBatch(5, 'b'));
  assert.equal(first.spillStats?.backlog, 12);
  await first.close();
  assert.equal(down.count, 0);

  const up = new CollectingSink();
  const second = dfo(up, dir);
  await second.open();
  await waitFor(
    () => up.count === 12,
    () => `12 recovered events sent (got ${up.count})`,
  );
  assert.equal(second.spillStats?.recovered, 12);
  await second.close();
  // Drained data is marked: a third start sends nothing again.
  const again = new CollectingSink();
  const third = dfo(again, dir);
  await third.open();
  await waitFor(() => again.isOpen, 'open');
  assert.equal(third.spillStats?.backlog, 0);
  await third.close();
  assert.equal(again.count, 0);
});

test('a spill log reopened after drained marks counts only what is left', async (t) => {
  const dir = tempDir('spill', t);
  const log = await SpillLog.open(dir);
  await log.spill(makeBatch(3));
  await log.spill(makeBatch(4));
  const first = await log.oldest();
  assert.equal(first?.batch.length, 3);
  log.drained(first!);
  await log.close();
  const again = await SpillLog.open(dir);
  assert.equal(again.stats.backlog, 4);
  assert.equal((await again.oldest())?.batch.length, 4);
  await again.close();
  assert.ok(readdirSync(dir).some((f) => f.endsWith('.wal')));
});

test('an unwritable log directory fails the open with a fatal error naming it', async (t) => {
  // root writes through any mode bits, so the directory is made impossible instead: under a file.
  const root = tempDir('dfo-ro', t);
  const ctx = testContext({
    config: SiteConfig.defaults().with({ 'flume.agent.logdir': join(root, 'file', 'sub') }),
  });
  writeFileSync(join(root, 'file'), 'x');
  const s = diskFailoverDeco.build(new BoundArgs('diskFailover', new Map()), ctx, new CollectingSink());
  await assert.rejects(s.open(), (e: Error) => {
    assert.match(e.message, /agent log directory .*file.*sub/);
    assert.ok(isFatal(e, 'start'), 'fatal at start: the node goes to ERROR');
    return true;
  });
});

test('insistentAppend retries a failed append with backoff until it goes through', async () => {
  const child = new FailingSink({ failAppends: 3 });
  const s = new InsistentAppendSink(child, { init: 1, max: 5, cumulativeMax: 10_000 });
  await s.open();
  await s.append(makeBatch(4));
  assert.equal(child.count, 4);
  assert.equal(s.failures, 3);
  const never = new FailingSink({ failAppends: 1_000 });
  const giving = new InsistentAppendSink(never, { init: 1, max: 2, cumulativeMax: 10 });
  await giving.open();
  await assert.rejects(async () => giving.append(makeBatch(1)), /insistentAppend: gave up/);
});

test('closing while the sub sink is still being opened (insistentOpen, collector down) ends at once', async (t) => {
  const dir = tempDir('dfo', t);
  const never = new FailingSink({ failOpens: 1_000_000 });
  const child = new InsistentOpenSink(never, { init: 10, max: 50, cumulativeMax: 2147483647 });
  const s = new DiskFailoverSink(child, { maxMillis: 50, dir: () => dir, logger: testContext().logger });
  await s.open();
  await s.append(makeBatch(3));
  await waitFor(() => never.openFailures >= 2, 'the open retried');
  const t0 = Date.now();
  await s.close();
  // The open retries for ever: a close waiting for it would not end. 10 s is room for a loaded machine.
  assert.ok(Date.now() - t0 < 10_000, 'close did not wait for the open');
  const again = await SpillLog.open(dir);
  assert.equal(again.stats.backlog, 3, 'the spilled batch stays for the next start');
  await again.close();
});
