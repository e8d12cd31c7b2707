import type { ComponentReport, PipelineReport } from '../flow/report.js';
import type { NodeSnapshot } from './snapshot.js';

/**
 * A node's snapshot in the Prometheus text exposition format (version 0.0.4). Series are named as
 * Vector names its internal metrics, so dashboards written for Vector read Sluice's; every component
 * series carries the labels node, pipeline (the logical node or agent), component_id, component_kind
 * and component_type. docs/web.md lists the series.
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

/** Label values escape backslash, double quote and newline, as the format asks. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** Numbers as the format spells them (+Inf, NaN); integers without a fraction. */
function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

/** One metric family: its HELP and TYPE lines once, then a sample line per labelled value. */
class Family {
  readonly lines: string[] = [];
  constructor(
    readonly name: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    readonly help: string,
  ) {}

  add(labels: Labels, value: number, suffix = ''): void {
    this.lines.push(`${this.name}${suffix}${labelText(labels)} ${num(value)}`);
  }

  text(): string {
    if (this.lines.length === 0) return '';
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n${this.lines.join('\n')}\n`;
  }
}

/** The component figures, one family each, filled per component. */
function componentFamilies() {
  return {
    received: new Family('component_received_events_total', 'counter', 'Events given to the component.'),
    sent: new Family('component_sent_events_total', 'counter', 'Events the component handed on.'),
    receivedBytes: new Family(
      'component_received_bytes_total',
      'counter',
      'Body bytes of the events given to the component.',
    ),
    receivedEventBytes: new Family(
      'component_received_event_bytes_total',
      'counter',
      'Body bytes of the events given to the component (the same figure, under the name Vector pairs with the sent bytes).',
    ),
    sentEventBytes: new Family(
      'component_sent_event_bytes_total',
      'counter',
      'Body bytes of the events the component handed on.',
    ),
    batches: new Family('component_received_batches_total', 'counter', 'Batches given to the component.'),
    errors: new Family(
      'component_errors_total',
      'counter',
      'Failed batches (or failed attempts of a retrying sink).',
    ),
    discarded: new Family(
      'component_discarded_events_total',
      'counter',
      'Events a best-effort sink accepted and dropped because no collector took them.',
    ),
    buffer: new Family('buffer_events', 'gauge', 'Events waiting in a channel.'),
    bufferBytes: new Family(
      'buffer_byte_size',
      'gauge',
      'Body bytes a channel holds (those taken by open transactions included).',
    ),
    bufferMaxEvents: new Family(
      'buffer_max_event_size',
      'gauge',
      'Most events a channel holds (its capacity).',
    ),
    bufferMaxBytes: new Family(
      'buffer_max_byte_size',
      'gauge',
      'Most body bytes a channel holds, for a channel bounded in bytes.',
    ),
    latency: new Family(
      'component_latency_seconds',
      'histogram',
      'Time per batch (a sink: append until accepted).',
    ),
    pending: new Family(
      'component_ack_groups_pending',
      'gauge',
      'Ack groups in the write-ahead log not yet acknowledged.',
    ),
    acked: new Family('component_ack_groups_acked_total', 'counter', 'Ack groups acknowledged end to end.'),
    retransmitted: new Family(
      'component_ack_groups_retransmitted_total',
      'counter',
      'Ack groups sent again (not acknowledged in time, or found in the log at start).',
    ),
    wal: new Family('component_wal_bytes', 'gauge', "Bytes of the component's write-ahead log on disk."),
  };
}

type ComponentFamilies = ReturnType<typeof componentFamilies>;

function addComponent(f: ComponentFamilies, labels: Labels, c: ComponentReport): void {
  f.received.add(labels, c.eventsIn);
  f.sent.add(labels, c.eventsOut);
  f.receivedBytes.add(labels, c.bytes);
  f.receivedEventBytes.add(labels, c.bytes);
  // A node of an older version reports no bytes out: no sample rather than a wrong 0.
  if (c.bytesOut !== undefined) f.sentEventBytes.add(labels, c.bytesOut);
  f.batches.add(labels, c.batches);
  f.errors.add(labels, c.errors);
  if (c.dropped !== undefined) f.discarded.add({ ...labels, intentional: 'false' }, c.dropped);
  if (c.size !== undefined) f.buffer.add(labels, c.size);
  if (c.sizeBytes !== undefined) f.bufferBytes.add(labels, c.sizeBytes);
  if (c.capacity !== undefined) f.bufferMaxEvents.add(labels, c.capacity);
  if (c.byteCapacity !== undefined) f.bufferMaxBytes.add(labels, c.byteCapacity);
  // Prometheus buckets are cumulative and bounded in seconds; the report's are per bucket in ms.
  let seen = 0;
  c.latency.boundsMs.forEach((bound, i) => {
    seen += c.latency.counts[i] ?? 0;
    f.latency.add({ ...labels, le: num(bound / 1000) }, seen, '_bucket');
  });
  const total = c.latency.counts.reduce((a, b) => a + b, 0);
  f.latency.add({ ...labels, le: '+Inf' }, total, '_bucket');
  f.latency.add(labels, c.latency.sumMs / 1000, '_sum');
  f.latency.add(labels, total, '_count');
  const r = c.reliability;
  if (r) {
    f.pending.add(labels, r.groupsPending);
    f.acked.add(labels, r.groupsAcked);
    f.retransmitted.add(labels, r.groupsRetransmitted);
    f.wal.add(labels, r.walBytes);
  }
}

function pipelineFamilies(
  pipelines: readonly PipelineReport[],
  nodeOf: (pipeline: string) => string,
): Family[] {
  const state = new Family(
    'sluice_pipeline_state',
    'gauge',
    'The state of each logical node or agent (1 for its state).',
  );
  const version = new Family(
    'sluice_pipeline_version',
    'gauge',
    'Configuration version of each logical node or agent.',
  );
  for (const p of pipelines) {
    const labels = { node: nodeOf(p.name), pipeline: p.name, pipeline_kind: p.kind };
    state.add({ ...labels, state: p.state }, 1);
    version.add(labels, p.version);
  }
  return [state, version];
}

function processFamilies(s: NodeSnapshot): Family[] {
  const p = s.process;
  const labels = { node: s.node };
  const cpu = new Family(
    'process_cpu_seconds_total',
    'counter',
    'User and system CPU time spent, in seconds.',
  );
  cpu.add(labels, p.cpuSeconds);
  const rss = new Family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
  rss.add(labels, p.rssBytes);
  const start = new Family(
    'process_start_time_seconds',
    'gauge',
    'Start time of the process since the epoch, in seconds.',
  );
  start.add(labels, Math.round(s.time / 1000 - p.uptimeSeconds));
  const fds = new Family('process_open_fds', 'gauge', 'Open file descriptors.');
  if (p.openFiles !== undefined) fds.add(labels, p.openFiles);
  return [cpu, rss, start, fds];
}

/**
 * The whole exposition of a snapshot: a node's own, or a master's view of its fleet, where each logical
 * node's series carry the physical node that runs it as `node` and the process series are the master's.
 */
export function prometheusText(s: NodeSnapshot): string {
  const f = componentFamilies();
  const nodeOf = (pipeline: string) => s.physical?.[pipeline] ?? s.node;
  for (const p of s.pipelines)
    for (const c of p.components)
      addComponent(
        f,
        {
          node: nodeOf(p.name),
          pipeline: p.name,
          component_id: c.name,
          component_kind: c.kind,
          component_type: c.type,
        },
        c,
      );
  return [...Object.values(f), ...pipelineFamilies(s.pipelines, nodeOf), ...processFamilies(s)]
    .map((x) => x.text())
    .join('');
}
