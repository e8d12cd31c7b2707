import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { intervalSamplerDeco } from './intervalSampler.js';

const build = (n: number, child: CollectingSink) =>
  intervalSamplerDeco.build(BoundArgs.of('intervalSampler', { n }), testContext(), child);

test('intervalSampler(10) forwards the 10th, 20th ... event, counting across batches', async () => {
  const out = new CollectingSink();
  const deco = build(10, out);
  let from = 0;
  for (const size of [3, 7, 1, 25, 4, 60]) {
    await deco.append(makeBatch(size, 'e', from));
    from += size;
  }
  assert.equal(from, 100);
  assert.deepEqual(out.bodies(), ['e9', 'e19', 'e29', 'e39', 'e49', 'e59', 'e69', 'e79', 'e89', 'e99']);
});

test('batches with nothing to forward are not appended; n = 1 forwards all', async () => {
  const out = new CollectingSink();
  const deco = build(5, out);
  await deco.append(makeBatch(4));
  assert.equal(out.batches.length, 0);
  const all = new CollectingSink();
  await build(1, all).append(makeBatch(6));
  assert.equal(all.count, 6);
});

test('n < 1 is a bad argument', () => {
  assert.throws(
    () => build(0, new CollectingSink()),
    (e: unknown) => e instanceof SluiceError && e.place?.field === 'n',
  );
});
