import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { nullDeco } from './nullDeco.js';

test('nullDeco forwards batches and the lifecycle unchanged', async () => {
  const child = new CollectingSink();
  const deco = nullDeco.build(BoundArgs.of('nullDeco', {}), testContext(), child);
  await deco.open();
  const batch = makeBatch(3);
  await deco.append(batch);
  await deco.flush?.();
  await deco.close();
  assert.equal(child.batches[0], batch);
  assert.deepEqual(child.bodies(), ['e0', 'e1', 'e2']);
  assert.deepEqual([child.opens, child.flushes, child.closes], [1, 1, 1]);
});
