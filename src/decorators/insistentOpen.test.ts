import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { insistentOpenDeco } from './insistentOpen.js';

function build(child: FailingSink, args: Record<string, number>) {
  const ctx = testContext();
  return {
    deco: insistentOpenDeco.build(BoundArgs.of('insistentOpen', args), ctx, child),
    log: ctx.logger.lines,
  };
}

test('insistentOpen retries a child that fails to open twice, backing off exponentially', async () => {
  const child = new FailingSink({ failOpens: 2 });
  const { deco, log } = build(child, { max: 1000, init: 20 });
  const t0 = Date.now();
  await deco.open();
  const elapsed = Date.now() - t0;
  assert.equal(child.opens, 3);
  assert.ok(elapsed >= 55, `waited ${elapsed} ms, expected 20 + 40`);
  assert.equal(log.length, 2);
  assert.match(log[0]!, /open failed \(attempt 1\): open failure 1; retrying in 20 ms/);
  assert.match(log[1]!, /retrying in 40 ms/);
  await deco.append(makeBatch(2));
  await deco.close();
  assert.deepEqual([child.count, child.closes], [2, 1]);
});

test('insistentOpen gives up once the waits reach cumulativeMax', async () => {
  const child = new FailingSink({ failOpens: 1000 });
  const { deco } = build(child, { max: 10, init: 5, cumulativeMax: 30 });
  await assert.rejects(deco.open(), (e: unknown) => {
    // Waits 5, 10, 10, 5 (cut to the cap): five attempts.
    assert.ok(e instanceof SluiceError);
    assert.match(e.message, /gave up after 5 attempts over 30 ms: open failure 5/);
    return true;
  });
  assert.equal(child.opens, 5);
  await deco.close();
  assert.equal(child.closes, 0, 'a child that never opened is not closed');
});

test('close cancels a pending retry at once', async () => {
  const child = new FailingSink({ failOpens: 1000 });
  const { deco } = build(child, { init: 60000 });
  const opening = deco.open();
  for (let i = 0; i < 100 && child.opens === 0; i++) await new Promise((r) => setTimeout(r, 1));
  const t0 = Date.now();
  await deco.close();
  await assert.rejects(opening, (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_CLOSED');
  assert.ok(Date.now() - t0 < 5000, 'closed at once, not after the 60 s retry');
  assert.equal(child.opens, 1);
});
