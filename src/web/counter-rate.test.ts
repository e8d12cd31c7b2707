import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CounterRate } from './counter-rate.js';

test('the growth of a counter between two readings, per second; none from the first reading', () => {
  const r = new CounterRate();
  assert.equal(r.read(100, 1000), true);
  assert.equal(r.perSecond, undefined, 'one reading is no rate yet');
  r.read(300, 3000);
  assert.equal(r.perSecond, 100);
  r.read(300, 3500);
  assert.equal(r.perSecond, 0, 'a counter that stood still');
  r.read(350, 3750);
  assert.equal(r.perSecond, 200);
});

test('a counter that fell was started again: its value counts from 0, never negative', () => {
  const r = new CounterRate();
  r.read(1000, 0);
  r.read(40, 2000);
  assert.equal(r.perSecond, 20);
  // And the next reading grows from the new value, not the old one.
  r.read(60, 3000);
  assert.equal(r.perSecond, 20);
  r.read(0, 4000);
  assert.equal(r.perSecond, 0);
});

test('a reading at the same time is ignored: no division by zero, the rate stays', () => {
  const r = new CounterRate();
  r.read(0, 1000);
  r.read(50, 2000);
  assert.equal(r.read(500, 2000), false);
  assert.equal(r.perSecond, 50);
  assert.ok(Number.isFinite(r.perSecond));
  // The ignored reading left no trace: the next one is measured from the reading taken.
  r.read(150, 3000);
  assert.equal(r.perSecond, 100);
});

test('a heartbeat older than the last one (out of order) is ignored', () => {
  const r = new CounterRate();
  r.read(0, 1000);
  r.read(100, 3000);
  assert.equal(r.read(60, 2000), false);
  assert.equal(r.perSecond, 50);
  r.read(200, 4000);
  assert.equal(r.perSecond, 100, 'measured from the reading at 3 s, with 100');
  assert.equal(r.read(300, Number.NaN), false, 'a reading without a time');
  assert.equal(r.perSecond, 100);
});
