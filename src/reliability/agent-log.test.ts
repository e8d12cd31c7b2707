import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { makeBatch } from '../../test/mocks/sinks.js';
import { tempDir } from '../../test/support/tmp.js';
import { AgentLog } from './agent-log.js';

const bodies = (b: { body: Buffer }[]) => b.map((e) => e.body.toString());

test('groups survive a restart: pending ones come back ended, in order, with their batches and tags', async (t) => {
  const dir = tempDir('agentlog', t);
  const log = await AgentLog.open(dir);
  log.begin('g1');
  await log.append(makeBatch(3, 'a'));
  await log.append(makeBatch(2, 'b'));
  await log.end();
  log.begin('g2');
  await log.append(makeBatch(4, 'c'));
  // No END for g2: the process dies with the group open.
  await log.close();

  const again = await AgentLog.open(dir);
  assert.deepEqual(
    again.recovered.map((g) => [g.tag, g.events, g.positions.length, g.ended]),
    [
      ['g1', 5, 2, true],
      ['g2', 4, 1, true],
    ],
  );
  const g1 = again.recovered[0]!;
  assert.deepEqual(bodies(await again.read(g1.positions[1]!)), ['b0', 'b1']);
  await again.acknowledge(g1);
  await again.close();

  const third = await AgentLog.open(dir);
  assert.deepEqual(
    third.recovered.map((g) => g.tag),
    ['g2'],
    'an acknowledged group is never sent again',
  );
  assert.deepEqual(bodies(await third.read(third.recovered[0]!.positions[0]!)), ['c0', 'c1', 'c2', 'c3']);
  await third.close();
});

test('acknowledged groups free their segments; the oldest pending group keeps its own', async (t) => {
  const dir = tempDir('agentlog-retain', t);
  const log = await AgentLog.open(dir, { maxSegmentBytes: 4096 });
  const groups = [];
  for (let i = 0; i < 20; i++) {
    log.begin(`g${i}`);
    await log.append(makeBatch(50, `g${i}-`));
    groups.push((await log.end())!);
  }
  const full = log.bytesOnDisk;
  const segmentsFull = readdirSync(dir).filter((f) => f.endsWith('.wal')).length;
  assert.ok(segmentsFull > 5, `the log spans several segments (${segmentsFull})`);
  // Everything but g15 is acknowledged: only g15 onwards may stay.
  for (const g of groups) if (g.tag !== 'g15') await log.acknowledge(g);
  assert.ok(log.bytesOnDisk < full / 2, `bytes on disk fall (${full} -> ${log.bytesOnDisk})`);
  assert.deepEqual(
    log.pending.map((g) => g.tag),
    ['g15'],
  );
  await log.close();
  const again = await AgentLog.open(dir, { maxSegmentBytes: 4096 });
  assert.deepEqual(
    again.recovered.map((g) => [g.tag, g.events]),
    [['g15', 50]],
  );
  assert.equal(bodies(await again.read(again.recovered[0]!.positions[0]!))[49], 'g15-49');
  await again.close();
});
