import assert from 'node:assert/strict';
import { test } from 'node:test';
import { componentReport, pipelineReport } from '../../test/support/pipeline-reports.js';
import { HealthWatch } from './health.js';

const withErrors = (errors: number, dropped?: number) => [
  pipelineReport('n', [
    componentReport({ kind: 'sink', name: 'rpcSink', errors, ...(dropped !== undefined ? { dropped } : {}) }),
  ]),
];

test('errors within the period make the node unhealthy, and it heals once the period passed', () => {
  const h = new HealthWatch({ periodMs: 10_000, maxErrors: 0, maxRetryFailures: 0 }, 0);
  assert.equal(h.check(withErrors(0), 1_000).healthy, true);
  const bad = h.check(withErrors(3), 2_000);
  assert.equal(bad.healthy, false);
  assert.equal(bad.errors, 3);
  assert.match(bad.reasons.join('\n'), /3 failed batches within 10 s \(n\/sink rpcSink: 3\)/);
  for (let t = 3_000; t <= 12_000; t += 1_000) h.observe(withErrors(3), t);
  assert.deepEqual(h.check(withErrors(3), 13_000).reasons, []);
});

test('thresholds, dropped events, ERROR states and counter resets', () => {
  const h = new HealthWatch({ periodMs: 60_000, maxErrors: 5, maxRetryFailures: 0 }, 0);
  assert.equal(h.check(withErrors(5), 1_000).healthy, true, 'five errors are within a threshold of 5');
  assert.match(h.check(withErrors(5, 1), 2_000).reasons.join(), /1 events given up on/);
  const failed = [
    pipelineReport(
      'n',
      [componentReport({ kind: 'sink', name: 's', state: 'ERROR', lastError: 'disk full' })],
      'ERROR',
    ),
  ];
  const reasons = h.check(failed, 3_000).reasons;
  assert.ok(reasons.includes('logical-node n is in ERROR'), reasons.join('\n'));
  assert.ok(reasons.includes('n: sink s is in ERROR: disk full'), reasons.join('\n'));
  const lost = h.check([pipelineReport('n', [], 'LOST')], 4_000).reasons;
  assert.ok(lost.includes('logical-node n is LOST: its node missed its heartbeats'), lost.join('\n'));
  // A replaced component counts from 0 again: its 2 errors are new, not 3 fewer.
  const reset = new HealthWatch({ periodMs: 60_000, maxErrors: 0, maxRetryFailures: 0 }, 0);
  reset.observe(withErrors(5), 1_000);
  assert.equal(reset.check(withErrors(2), 3_000).errors, 2 + 5);
});

test('a flood of checks keeps at most one sample per second', () => {
  const h = new HealthWatch({ periodMs: 5_000, maxErrors: 0, maxRetryFailures: 0 }, 0);
  for (let t = 0; t < 20_000; t += 10) h.check(withErrors(0), t);
  const kept = (h as unknown as { samples: unknown[] }).samples.length;
  assert.ok(kept <= 8, `kept ${kept} samples`);
});
