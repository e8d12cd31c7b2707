import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { delayDeco } from './delay.js';

test('delay holds each batch for ms before forwarding it', async () => {
  const out = new CollectingSink();
  const deco = delayDeco.build(BoundArgs.of('delay', { ms: 40 }), testContext(), out);
  const t0 = Date.now();
  const r = deco.append(makeBatch(3));
  assert.ok(r instanceof Promise, 'the wait is backpressure');
  assert.equal(out.count, 0);
  await r;
  await deco.append(makeBatch(2));
  const elapsed = Date.now() - t0;
  assert.equal(out.count, 5);
  assert.ok(elapsed >= 75, `two delayed batches took ${elapsed} ms`);
});

test('delay(0) forwards synchronously', () => {
  const out = new CollectingSink();
  const r = delayDeco.build(BoundArgs.of('delay', { ms: 0 }), testContext(), out).append(makeBatch(1));
  assert.equal(r, undefined);
  assert.equal(out.count, 1);
});
