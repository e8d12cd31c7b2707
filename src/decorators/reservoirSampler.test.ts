import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seeded } from '../../test/mocks/random.js';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { ReservoirSamplerSink, reservoirSamplerDeco } from './reservoirSampler.js';

const build = (k: number, child: CollectingSink) =>
  reservoirSamplerDeco.build(BoundArgs.of('reservoirSampler', { k }), testContext(), child);

test('reservoirSampler(k) emits exactly k distinct input events on close', async () => {
  const out = new CollectingSink();
  const deco = build(50, out);
  await deco.open();
  for (let b = 0; b < 10; b++) await deco.append(makeBatch(100, 'e', b * 100));
  assert.equal(out.count, 0, 'appends forward nothing');
  await deco.close();
  assert.equal(out.count, 50);
  const bodies = new Set(out.bodies());
  assert.equal(bodies.size, 50);
  for (const b of bodies) assert.match(b, /^e\d+$/);
  assert.equal(out.closes, 1);
});

test('fewer than k events are all emitted; flush emits and starts a new sample', async () => {
  const out = new CollectingSink();
  const deco = build(10, out);
  await deco.append(makeBatch(4));
  await deco.flush?.();
  assert.equal(out.count, 4);
  assert.equal(out.flushes, 1);
  await deco.append(makeBatch(30, 'f'));
  await deco.close();
  assert.equal(out.count, 14);
  assert.ok(
    out
      .bodies()
      .slice(4)
      .every((b) => b.startsWith('f')),
  );
});

test('every event has the same chance to be chosen', async () => {
  const hits = new Array(20).fill(0);
  const random = seeded(7);
  for (let round = 0; round < 2000; round++) {
    const out = new CollectingSink();
    const deco = new ReservoirSamplerSink(out, 5, random);
    await deco.append(makeBatch(8, 'e'));
    await deco.append(makeBatch(12, 'e', 8));
    await deco.close();
    for (const b of out.bodies()) hits[Number(b.slice(1))]++;
  }
  // Expected 500 per event (2000 rounds * 5/20), standard deviation about 19.
  for (const h of hits) assert.ok(Math.abs(h - 500) < 100, `hits ${hits.join(',')}`);
});
