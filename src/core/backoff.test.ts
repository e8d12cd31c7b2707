import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, WakeableDelay } from './backoff.js';

test('the wait doubles from the initial one up to the maximum, and a success starts over', () => {
  const b = new Backoff({ initialMs: 1000, maxMs: 60_000 });
  const waits = Array.from({ length: 8 }, () => b.fail());
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  assert.equal(b.failures, 8);
  b.reset();
  assert.equal(b.failures, 0);
  assert.equal(b.fail(), 1000);
});

test('a custom multiplier, and an initial wait above the maximum is capped at once', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, multiplier: 3 });
  assert.deepEqual([b.fail(), b.fail(), b.fail(), b.fail()], [100, 300, 900, 1000]);
  assert.equal(new Backoff({ initialMs: 5000, maxMs: 2000 }).fail(), 2000);
});

test('thousands of failures in a row stay at the maximum (no overflow to Infinity or NaN)', () => {
  const b = new Backoff({ initialMs: 1, maxMs: 2_147_483_647 });
  let last = 0;
  for (let i = 0; i < 5000; i++) last = b.fail();
  assert.equal(last, 2_147_483_647);
});

test('jitter draws each wait from [w x (1 - jitter), w]', () => {
  const lowest = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5, random: () => 1 });
  assert.deepEqual([lowest.fail(), lowest.fail()], [500, 1000]);
  const highest = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5, random: () => 0 });
  assert.deepEqual([highest.fail(), highest.fail()], [1000, 2000]);
  const b = new Backoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2 });
  for (let i = 0; i < 200; i++) {
    const w = b.fail();
    assert.ok(w >= 800 && w <= 1000, `wait ${w} outside [800, 1000]`);
  }
});

test('a wakeable delay ends at its time, or at once when woken', async () => {
  const d = new WakeableDelay();
  const t0 = Date.now();
  await d.wait(30);
  assert.ok(Date.now() - t0 >= 25, 'waited its time');
  const t1 = Date.now();
  const long = d.wait(60_000);
  d.wake();
  await long;
  // At once, not after the 60 s: 10 s leaves room for a loaded machine.
  assert.ok(Date.now() - t1 < 10_000, 'woken at once');
  d.wake(); // nothing running: no effect
});
