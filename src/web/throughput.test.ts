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

const named = (name: string, lastSeen: number, count: number) => ({ ...node(lastSeen, count, count), name });

test('view(since) sends the points recorded after since, names every node kept, a new node whole', () => {
  const h = new ThroughputHistory();
  for (let i = 0; i <= 3; i++) h.observe([named('a', i * 1000, i * 10)], i * 1000 + 100);
  const full = h.view();
  assert.deepEqual(full.series, { a: { t: [1, 2, 3], in: [10, 10, 10], out: [10, 10, 10] } });
  assert.equal(full.until, 3.1);
  // Nothing new yet: the node is named, with nothing.
  assert.deepEqual(h.view(full.until).series, { a: { t: [], in: [], out: [] } });

  // A node seen for the first time is sent whole: all its points were recorded after since.
  h.observe([named('a', 4000, 40), named('b', 3500, 5)], 4100);
  h.observe([named('a', 5000, 60), named('b', 4500, 10)], 5100);
  const next = h.view(full.until);
  assert.deepEqual(next.series, {
    a: { t: [4, 5], in: [10, 20], out: [10, 20] },
    b: { t: [4.5], in: [5], out: [5] },
  });
  assert.equal(next.until, 5.1);

  // A heartbeat that reaches the master late (another master published it) is older than points
  // sent already, and still sent: since is when points were recorded, not their heartbeat's time.
  h.observe([named('a', 5000, 60), named('b', 4800, 13)], 6100);
  assert.deepEqual(h.view(next.until).series, {
    a: { t: [], in: [], out: [] },
    b: { t: [4.8], in: [10], out: [10] },
  });

  // A node gone is not named; a since this history never gave (a master that started again) gets all.
  h.observe([named('b', 5800, 23)], 7100);
  assert.deepEqual(Object.keys(h.view(6.1).series), ['b']);
  assert.deepEqual(h.view(99_999).series, h.series());
  // Never more than is kept.
  assert.deepEqual(h.view(0).series.b?.t, [4.5, 4.8, 5.8]);
});

test('the stamp since is compared with never goes back, even when the clock does', () => {
  const h = new ThroughputHistory();
  h.observe([named('a', 1000, 0)], 1000);
  h.observe([named('a', 2000, 10)], 2000);
  const before = h.view();
  h.observe([named('a', 3000, 20)], 1500); // the master's clock stepped back
  const after = h.view(before.until);
  assert.ok(after.until > before.until);
  assert.deepEqual(after.series.a?.t, [3]);
});

test('200 nodes with a full history: an answer with since carries a point per node, not 300', (t) => {
  const nodes = 200;
  const h = new ThroughputHistory();
  const fleet = (second: number) =>
    Array.from({ length: nodes }, (_, i) => {
      // Heartbeats a little apart, rates of a few thousand events/s with decimals, as a fleet sends.
      const at = second * 1000 + ((i * 37) % 1000);
      return {
        ...node(at, Math.floor(second * (1234.5 + i * 7.3)), Math.floor(second * (1200.1 + i))),
        name: `collector-${String(i).padStart(3, '0')}`,
      };
    });
  for (let s = 1_796_000_000; s <= 1_796_000_301; s++) h.observe(fleet(s), s * 1000 + 999);
  const full = h.view();
  const fullBytes = Buffer.byteLength(JSON.stringify(full.series));
  assert.equal(Object.keys(full.series).length, nodes);
  assert.ok(Object.values(full.series).every((s) => s.t.length === 300));

  h.observe(fleet(1_796_000_302), 1_796_000_302_999);
  const next = h.view(full.until);
  const nextBytes = Buffer.byteLength(JSON.stringify(next.series));
  assert.ok(Object.values(next.series).every((s) => s.t.length === 1));
  t.diagnostic(
    `throughput of ${nodes} nodes x 300 points: ${fullBytes} bytes whole, ${nextBytes} bytes since the last answer`,
  );
  assert.ok(fullBytes > 1_000_000, `the whole history is ${fullBytes} bytes`);
  assert.ok(nextBytes < 20_000, `what is new since the last answer is ${nextBytes} bytes`);
});
