import assert from 'node:assert/strict';
import { test } from 'node:test';
import { componentReport, pipelineReport } from '../../test/support/pipeline-reports.js';
import { parseExposition } from '../../test/support/prometheus-text.js';
import { fleetSnapshot } from './fleet.js';
import { prometheusText } from './prometheus.js';
import type { NodeSnapshot } from './snapshot.js';

const figures = {
  pid: 1,
  host: 'h',
  uptimeSeconds: 10,
  cpuSeconds: 1.5,
  rssBytes: 1000,
  heapUsedBytes: 500,
  openFiles: 12,
  machineMemoryBytes: 1 << 30,
  load1: 0.5,
};

test('a report reads as Prometheus text with Vector names, cumulative latency buckets and escaped labels', () => {
  const counts = new Array(13).fill(0);
  counts[0] = 2; // <= 1 ms
  counts[3] = 1; // <= 10 ms
  counts[12] = 1; // slower than 10 s
  const snap: NodeSnapshot = {
    node: 'n"1',
    runs: 'logical-nodes',
    version: 2,
    time: 20_000,
    process: figures,
    pipelines: [
      pipelineReport('web', [
        componentReport({ kind: 'source', name: 'text', eventsIn: 7, eventsOut: 7, bytes: 70 }),
        componentReport({
          kind: 'sink',
          name: 'agentBESink',
          eventsIn: 7,
          eventsOut: 5,
          errors: 1,
          dropped: 2,
          latency: {
            boundsMs: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000],
            counts,
            sumMs: 12_003,
          },
        }),
      ]),
    ],
  };
  const s = parseExposition(prometheusText(snap));
  const sink =
    'node="n\\"1",pipeline="web",component_id="agentBESink",component_kind="sink",component_type="null"';
  assert.equal(s.get(`component_received_events_total{${sink}}`), 7);
  assert.equal(s.get(`component_sent_events_total{${sink}}`), 5);
  assert.equal(s.get(`component_errors_total{${sink}}`), 1);
  assert.equal(s.get(`component_discarded_events_total{${sink},intentional="false"}`), 2);
  assert.equal(s.get(`component_latency_seconds_bucket{${sink},le="0.001"}`), 2);
  assert.equal(s.get(`component_latency_seconds_bucket{${sink},le="0.005"}`), 2);
  assert.equal(s.get(`component_latency_seconds_bucket{${sink},le="0.01"}`), 3);
  assert.equal(s.get(`component_latency_seconds_bucket{${sink},le="10"}`), 3);
  assert.equal(s.get(`component_latency_seconds_bucket{${sink},le="+Inf"}`), 4);
  assert.equal(s.get(`component_latency_seconds_count{${sink}}`), 4);
  assert.equal(s.get(`component_latency_seconds_sum{${sink}}`), 12.003);
  assert.equal(
    s.get('sluice_pipeline_state{node="n\\"1",pipeline="web",pipeline_kind="logical-node",state="ACTIVE"}'),
    1,
  );
  assert.equal(s.get('process_open_fds{node="n\\"1"}'), 12);
  assert.equal(s.get('process_start_time_seconds{node="n\\"1"}'), 10);
});

test("a master's fleet view labels each logical node's series with the physical node that runs it", () => {
  const status = [
    {
      name: 'web1',
      physical: 'host-a',
      state: 'ACTIVE',
      version: 3,
      report: pipelineReport('web1', [componentReport({ kind: 'channel', name: 'c', size: 3 })]),
    },
    { name: 'coll', physical: 'host-b', state: 'LOST', version: 2 },
    { name: 'old', physical: '', state: 'DECOMMISSIONED', version: 0 },
  ];
  const snap = fleetSnapshot('master@m', status);
  assert.deepEqual(
    snap.pipelines.map((p) => `${p.name} ${p.state} ${p.version}`),
    ['web1 ACTIVE 3', 'coll LOST 2'],
  );
  const s = parseExposition(prometheusText(snap));
  assert.equal(
    s.get(
      'buffer_events{node="host-a",pipeline="web1",component_id="c",component_kind="channel",component_type="memory"}',
    ),
    3,
  );
  assert.equal(
    s.get('sluice_pipeline_state{node="host-b",pipeline="coll",pipeline_kind="logical-node",state="LOST"}'),
    1,
  );
  assert.ok(s.has('process_resident_memory_bytes{node="master@m"}'));
});

test('bytes out sit beside events out, and a channel exports its fill and capacity as buffer gauges', () => {
  const snap: NodeSnapshot = {
    node: 'a1',
    runs: 'agent',
    version: 1,
    time: 1000,
    process: figures,
    pipelines: [
      pipelineReport('a1', [
        componentReport({ kind: 'sink', name: 'k1', eventsIn: 4, eventsOut: 4, bytes: 40, bytesOut: 40 }),
        componentReport({
          kind: 'channel',
          name: 'c1',
          eventsIn: 10,
          eventsOut: 4,
          bytesOut: 40,
          size: 6,
          sizeBytes: 60,
          capacity: 100,
          byteCapacity: 8000,
          fillPercentage: 6,
        }),
        componentReport({ kind: 'channel', name: 'c2', type: 'file', size: 0, sizeBytes: 0, capacity: 50 }),
      ]),
    ],
  };
  const s = parseExposition(prometheusText(snap));
  const at = (id: string, kind: string, type: string) =>
    `{node="a1",pipeline="a1",component_id="${id}",component_kind="${kind}",component_type="${type}"}`;
  const k1 = at('k1', 'sink', 'null');
  const c1 = at('c1', 'channel', 'memory');
  const c2 = at('c2', 'channel', 'file');
  assert.equal(s.get(`component_sent_event_bytes_total${k1}`), 40);
  assert.equal(s.get(`component_received_event_bytes_total${k1}`), 40);
  assert.equal(s.get(`component_sent_event_bytes_total${c1}`), 40);
  assert.equal(s.get(`buffer_events${c1}`), 6);
  assert.equal(s.get(`buffer_byte_size${c1}`), 60);
  assert.equal(s.get(`buffer_max_event_size${c1}`), 100);
  assert.equal(s.get(`buffer_max_byte_size${c1}`), 8000);
  assert.equal(s.get(`buffer_max_event_size${c2}`), 50);
  // A file channel has no byte bound: no sample rather than a made-up one.
  assert.equal(s.has(`buffer_max_byte_size${c2}`), false);
  assert.equal(s.has(`buffer_max_event_size${k1}`), false);
});
