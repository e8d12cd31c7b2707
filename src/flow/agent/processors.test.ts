import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failoverSelector, loadBalanceSelector } from './processors.js';

test('failover: a failed sink sits out 2 s, then 4 s, ... up to maxpenalty; a success clears its penalty', () => {
  const s = failoverSelector([10, 5], 5000);
  assert.deepEqual(s.order(0), [0, 1]);
  s.failed(0, 0);
  assert.deepEqual(s.order(1999), [1]);
  assert.deepEqual(s.order(2000), [0, 1]);
  s.failed(0, 2000);
  assert.deepEqual(s.order(5999), [1]);
  assert.deepEqual(s.order(6000), [0, 1]);
  s.failed(0, 6000); // 8 s, capped at maxpenalty 5 s
  assert.deepEqual(s.order(10_999), [1]);
  assert.deepEqual(s.order(11_000), [0, 1]);
  s.succeeded(0);
  s.failed(0, 20_000);
  assert.deepEqual(s.order(21_999), [1], 'after a success the penalty starts at 2 s again');
  assert.deepEqual(s.order(22_000), [0, 1]);
});

test('load_balance: with backoff a failed sink sits out up to maxTimeOut; without it, it stays in turn', () => {
  const withBackoff = loadBalanceSelector(2, 'round_robin', true, 3000);
  withBackoff.failed(0, 0);
  assert.deepEqual(withBackoff.order(1999), [1]);
  withBackoff.failed(0, 2000); // 4 s, capped at 3 s
  assert.deepEqual(withBackoff.order(4999).sort(), [1]);
  assert.deepEqual(withBackoff.order(5000).sort(), [0, 1]);
  const without = loadBalanceSelector(2, 'round_robin', false, 3000);
  without.failed(0, 0);
  assert.deepEqual(without.order(1).sort(), [0, 1]);
});
