import assert from 'node:assert/strict';
import { test } from 'node:test';
import { componentReport, pipelineReport } from '../../test/support/pipeline-reports.js';
import type { NodeSnapshot } from './snapshot.js';
import { humanCount, renderTop, topRows } from './top-table.js';

const snap = (time: number, eventsIn: number, eventsOut: number): NodeSnapshot => ({
  node: 'host1',
  runs: 'agent',
  version: 1,
  time,
  process: {
    pid: 1,
    host: 'host1',
    uptimeSeconds: 1,
    cpuSeconds: 0,
    rssBytes: 0,
    heapUsedBytes: 0,
    machineMemoryBytes: 0,
    load1: 0,
  },
  pipelines: [
    pipelineReport('a1', [
      componentReport({
        kind: 'sink',
        name: 'k1',
        eventsIn,
        eventsOut,
        bytes: eventsIn * 10,
        bytesOut: eventsOut * 10,
      }),
      componentReport({
        kind: 'channel',
        name: 'c1',
        eventsIn,
        eventsOut,
        size: eventsIn - eventsOut,
        capacity: 1000,
        fillPercentage: (100 * (eventsIn - eventsOut)) / 1000,
      }),
    ]),
  ],
});

test('top shows totals and rates per second between two readings', () => {
  const rows = topRows(snap(3_000, 1_500, 1_400), snap(1_000, 500, 400));
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.eventsInRate, 500);
  assert.equal(rows[0]!.eventsOutRate, 500);
  assert.equal(rows[0]!.bytesInRate, 5_000);
  assert.equal(rows[0]!.bytesOutRate, 5_000);
  const text = renderTop(snap(3_000, 1_500, 1_400), rows, '127.0.0.1:35862');
  const [head, columns, row, channel] = text.split('\n');
  assert.match(head!, /^sluice top: host1 at 127\.0\.0\.1:35862 \(agent, version 1\): a1 ACTIVE$/);
  assert.match(
    columns!,
    /^ID\s+KIND\s+TYPE\s+STATE\s+EVENTS IN\s+IN\/S\s+BYTES IN\s+BYTES\/S\s+EVENTS OUT\s+OUT\/S\s+BYTES OUT\s+BYTES OUT\/S\s+ERRORS\s+ERR\/S\s+FILL$/,
  );
  assert.match(
    row!,
    /^k1\s+sink\s+null\s+ACTIVE\s+1500\s+500\s+14\.6 KiB\s+4\.9 KiB\s+1400\s+500\s+13\.7 KiB\s+4\.9 KiB\s+0\s+0$/,
  );
  // A channel shows how full it is: 100 of 1000 events.
  assert.match(channel!, /^c1\s+channel\s+memory\s+ACTIVE\s+1500\s.*\s10%$/);
});

test('a component that started over (replaced) counts from 0, never a negative rate', () => {
  // 10 events in the second since the reset: 10/s, as the master's charts read it.
  const rows = topRows(snap(2_000, 10, 10), snap(1_000, 900, 900));
  assert.equal(rows[0]!.eventsInRate, 10);
  assert.equal(humanCount(1_234_567), '1.23M');
});
