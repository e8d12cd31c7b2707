import assert from 'node:assert/strict';
import { test } from 'node:test';
import { componentReport, pipelineReport } from '../../test/support/pipeline-reports.js';
import { ThroughputHistory } from './throughput.js';

const node = (lastSeen: number, read: number, delivered: number) => ({
  name: 'n1',
  lastSeen,
  report: pipelineReport('n1', [
    componentReport({ kind: 'source', name: 'tail', eventsIn: read, eventsOut: read }),
    componentReport({ kind: 'sink', name: 'text', eventsIn: delivered, eventsOut: delivered }),
  ]),
});

test('a point per heartbeat: the growth of events read and delivered per second', () => {
  const h = new ThroughputHistory();
  h.observe([node(1000, 0, 0)], 1000);
  h.observe([node(1000, 0, 0)], 1500); // no new heartbeat: no point
  h.observe([node(3000, 200, 100)], 3000);
  assert.deepEqual(h.series(), { n1: { t: [3], in: [100], out: [50] } });
  // A reconfigured node's counters start again from 0: counted from 0, never negative.
  h.observe([node(4000, 30, 10)], 4000);
  assert.deepEqual(h.series().n1, { t: [3, 4], in: [100, 30], out: [50, 10] });
  h.observe([node(7000, 40, 11)], 7000);
  assert.deepEqual(h.series().n1?.in.at(-1), 3.3);
});

test('history is bounded in time and points, and forgets nodes that are gone', () => {
  const h = new ThroughputHistory(10_000, 5);
  for (let i = 0; i <= 20; i++) h.observe([node(i * 1000, i * 10, i * 10)], i * 1000);
  assert.deepEqual(h.series().n1?.t, [16, 17, 18, 19, 20]);
  const wide = new ThroughputHistory(5_000, 100);
  for (let i = 0; i <= 20; i++) wide.observe([node(i * 1000, i, i)], i * 1000);
  assert.deepEqual(wide.series().n1?.t, [15, 16, 17, 18, 19, 20]);
  wide.observe([], 21_000);
  assert.deepEqual(wide.series(), {});
});
