import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { stubbornAppendDeco } from './stubbornAppend.js';

const build = (child: FailingSink) =>
  stubbornAppendDeco.build(BoundArgs.of('stubbornAppend', {}), testContext(), child);

for (const throwSync of [false, true]) {
  test(`a child failing once (${throwSync ? 'throwing' : 'rejecting'}) is closed, reopened and gets the batch`, async () => {
    const child = new FailingSink({ failAppends: 1, throwSync });
    const deco = build(child);
    await deco.open();
    await deco.append(makeBatch(3));
    assert.deepEqual([child.opens, child.closes], [2, 1]);
    assert.deepEqual(child.bodies(), ['e0', 'e1', 'e2']);
    assert.equal(child.appendsWhileClosed, 0);
    const r = deco.append(makeBatch(1, 'next'));
    assert.equal(r, undefined, 'healthy synchronous appends stay synchronous');
    assert.equal(child.count, 4);
  });
}

test('a second failure is passed on', async () => {
  const child = new FailingSink({ failAppends: 2 });
  const deco = build(child);
  await deco.open();
  await assert.rejects(Promise.resolve(deco.append(makeBatch(3))), /append failure 2/);
  assert.equal(child.count, 0);
  assert.deepEqual([child.opens, child.closes], [2, 1]);
});

test('a failing close does not stop the reopen', async () => {
  const child = new FailingSink({ failAppends: 1, failCloses: true });
  const deco = build(child);
  await deco.open();
  await deco.append(makeBatch(2));
  assert.equal(child.count, 2);
});
