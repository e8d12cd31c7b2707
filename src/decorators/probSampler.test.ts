import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seeded } from '../../test/mocks/random.js';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { ProbSamplerSink, probSamplerDeco } from './probSampler.js';

test('probSampler forwards about p of the events', async () => {
  const out = new CollectingSink();
  const deco = new ProbSamplerSink(out, 0.25, seeded(42));
  for (let i = 0; i < 20; i++) await deco.append(makeBatch(1000, 'e', i * 1000));
  // 20000 trials at p = 0.25: the standard deviation is about 61.
  assert.ok(Math.abs(out.count - 5000) < 300, `forwarded ${out.count}`);
  const bodies = out.bodies().map((b) => Number(b.slice(1)));
  assert.ok(
    bodies.every((v, i) => i === 0 || v > bodies[i - 1]!),
    'order is kept',
  );
});

test('p = 0 forwards nothing and p = 1 everything', async () => {
  const none = new CollectingSink();
  const all = new CollectingSink();
  const ctx = testContext();
  await probSamplerDeco.build(BoundArgs.of('probSampler', { p: 0 }), ctx, none).append(makeBatch(500));
  await probSamplerDeco.build(BoundArgs.of('probSampler', { p: 1 }), ctx, all).append(makeBatch(500));
  assert.equal(none.count, 0);
  assert.equal(none.batches.length, 0);
  assert.equal(all.count, 500);
});

test('p outside [0, 1] is a bad argument', () => {
  for (const p of [-0.1, 1.5, Number.NaN]) {
    assert.throws(
      () => probSamplerDeco.build(BoundArgs.of('probSampler', { p }), testContext(), new CollectingSink()),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === 'SLUICE_SPEC_BAD_ARGUMENT' &&
        /between 0.0 and 1.0/.test(e.message),
    );
  }
});
