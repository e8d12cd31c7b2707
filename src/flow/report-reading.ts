import type { NodeReportReading } from '../catalog/types.js';
import type { ComponentReport, PipelineReport } from './report.js';

/**
 * The figures of a component a reading carries, by their report field names: what `/api/report`, the
 * status page and `/metrics` show. The latency histogram stays out (a mean would be a new figure).
 */
const FIELDS = [
  'state',
  'eventsIn',
  'eventsOut',
  'bytes',
  'bytesOut',
  'batches',
  'errors',
  'dropped',
  'size',
  'sizeBytes',
  'capacity',
  'byteCapacity',
  'fillPercentage',
] as const satisfies readonly (keyof ComponentReport)[];

/**
 * A node's report as the `report` source's attributes: `node` (the physical node), per pipeline
 * `<pipeline>.state` and `<pipeline>.version`, per component `<pipeline>.<kind>.<component>.<field>`
 * (`feed.sink.text.eventsOut`); a figure a component does not have (a sink's `size`) is left out.
 */
export function reportReading(node: string, pipelines: readonly PipelineReport[]): NodeReportReading {
  const attributes: [string, number | string][] = [['node', node]];
  const seen = new Set<string>(['node']);
  const add = (name: string, value: number | string | undefined) => {
    // Two components may print alike (a name with dots); the first keeps the name.
    if (value === undefined || seen.has(name)) return;
    seen.add(name);
    attributes.push([name, value]);
  };
  let eventsIn = 0;
  let delivered = 0;
  let errors = 0;
  for (const p of pipelines) {
    add(`${p.name}.state`, p.state);
    add(`${p.name}.version`, p.version);
    for (const c of p.components) {
      const prefix = `${p.name}.${c.kind}.${c.name}.`;
      for (const f of FIELDS) add(prefix + f, c[f]);
      if (c.kind === 'source') eventsIn += c.eventsIn;
      if (c.kind === 'sink') delivered += c.eventsOut;
      errors += c.errors;
    }
  }
  const summary =
    `report of ${node}: ${pipelines.length} pipeline${pipelines.length === 1 ? '' : 's'} ` +
    `(${pipelines.map((p) => `${p.name} ${p.state}`).join(', ') || 'none'}), ` +
    `${eventsIn} events read, ${delivered} delivered, ${errors} errors`;
  return { attributes, summary };
}
