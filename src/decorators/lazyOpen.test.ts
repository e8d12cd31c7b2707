import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, FailingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { lazyOpenDeco } from './lazyOpen.js';

const build = (child: CollectingSink) =>
  lazyOpenDeco.build(BoundArgs.of('lazyOpen', {}), testContext(), child);

test('lazyOpen opened and closed without appends never opens the child', async () => {
  const child = new CollectingSink();
  const deco = build(child);
  await deco.open();
  await deco.flush?.();
  await deco.close();
  assert.deepEqual([child.opens, child.flushes, child.closes], [0, 0, 0]);
});

test('the first append opens the child once; close closes it', async () => {
  const child = new CollectingSink();
  const deco = build(child);
  await deco.open();
  assert.equal(child.opens, 0);
  await deco.append(makeBatch(2));
  await deco.append(makeBatch(3));
  assert.equal(child.opens, 1);
  assert.equal(child.appendsWhileClosed, 0);
  assert.equal(child.count, 5);
  await deco.close();
  assert.equal(child.closes, 1);
  // Reopened and closed again without data: still only the one open.
  await deco.open();
  await deco.close();
  assert.deepEqual([child.opens, child.closes], [1, 1]);
});

test('a failed lazy open fails that append and is tried again on the next', async () => {
  const child = new FailingSink({ failOpens: 1 });
  const deco = build(child);
  await deco.open();
  await assert.rejects(Promise.resolve(deco.append(makeBatch(1))), /open failure 1/);
  await deco.append(makeBatch(1, 'second'));
  assert.deepEqual([child.opens, child.count], [2, 1]);
  assert.deepEqual(child.bodies(), ['second0']);
});
