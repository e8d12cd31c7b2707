import { counterGrowth } from './counter-rate.js';
import type { NodeSnapshot } from './snapshot.js';

/**
 * The table `sluice top` prints: one row per component, each figure as a total and a rate per second
 * between two snapshots (as `vector top` shows them). Pure, so it is tested without a terminal.
 */
export interface TopRow {
  id: string;
  kind: string;
  type: string;
  state: string;
  eventsIn: number;
  eventsInRate: number;
  bytesIn: number;
  bytesInRate: number;
  eventsOut: number;
  eventsOutRate: number;
  bytesOut: number;
  bytesOutRate: number;
  errors: number;
  errorsRate: number;
  /** A channel's size as a percentage of its capacity. */
  fill?: number;
}

export function topRows(now: NodeSnapshot, before: NodeSnapshot | undefined): TopRow[] {
  const seconds = before ? (now.time - before.time) / 1000 : 0;
  const prior = new Map<
    string,
    { eventsIn: number; eventsOut: number; bytes: number; bytesOut?: number; errors: number }
  >();
  for (const p of before?.pipelines ?? [])
    for (const c of p.components) prior.set(`${p.name}\0${c.kind}\0${c.name}`, c);
  // A counter lower than before belongs to a component a reconfiguration replaced: it counts from 0
  // (counter-rate.ts), as the master's charts and Prometheus's rate() read a reset.
  const rate = (n: number, b: number | undefined) =>
    seconds > 0 && b !== undefined ? counterGrowth(n, b) / seconds : 0;
  const rows: TopRow[] = [];
  const many = now.pipelines.length > 1;
  for (const p of now.pipelines)
    for (const c of p.components) {
      const b = prior.get(`${p.name}\0${c.kind}\0${c.name}`);
      rows.push({
        id: many ? `${p.name}/${c.name}` : c.name,
        kind: c.kind,
        type: c.type,
        state: c.state,
        eventsIn: c.eventsIn,
        eventsInRate: rate(c.eventsIn, b?.eventsIn),
        bytesIn: c.bytes,
        bytesInRate: rate(c.bytes, b?.bytes),
        eventsOut: c.eventsOut,
        eventsOutRate: rate(c.eventsOut, b?.eventsOut),
        // A node of an older version reports no bytes out.
        bytesOut: c.bytesOut ?? 0,
        bytesOutRate: rate(c.bytesOut ?? 0, b?.bytesOut),
        errors: c.errors,
        errorsRate: rate(c.errors, b?.errors),
        ...(c.fillPercentage !== undefined ? { fill: c.fillPercentage } : {}),
      });
    }
  return rows;
}

/** 1234567 -> "1.23M": a terminal column stays narrow. */
export function humanCount(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function humanBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

const COLUMNS: readonly [string, (r: TopRow) => string, 'left' | 'right'][] = [
  ['ID', (r) => r.id, 'left'],
  ['KIND', (r) => r.kind, 'left'],
  ['TYPE', (r) => r.type, 'left'],
  ['STATE', (r) => r.state, 'left'],
  ['EVENTS IN', (r) => humanCount(r.eventsIn), 'right'],
  ['IN/S', (r) => humanCount(r.eventsInRate), 'right'],
  ['BYTES IN', (r) => humanBytes(r.bytesIn), 'right'],
  ['BYTES/S', (r) => humanBytes(r.bytesInRate), 'right'],
  ['EVENTS OUT', (r) => humanCount(r.eventsOut), 'right'],
  ['OUT/S', (r) => humanCount(r.eventsOutRate), 'right'],
  ['BYTES OUT', (r) => humanBytes(r.bytesOut), 'right'],
  ['BYTES OUT/S', (r) => humanBytes(r.bytesOutRate), 'right'],
  ['ERRORS', (r) => humanCount(r.errors), 'right'],
  ['ERR/S', (r) => humanCount(r.errorsRate), 'right'],
  ['FILL', (r) => (r.fill === undefined ? '' : humanPercent(r.fill)), 'right'],
];

/** 0.25 -> "0.3%", 42 -> "42%": a channel's fill. */
export function humanPercent(n: number): string {
  return `${n < 10 ? n.toFixed(1) : Math.round(n)}%`;
}

/** The heading line and the table, columns padded to their widest cell. */
export function renderTop(now: NodeSnapshot, rows: readonly TopRow[], from: string): string {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  const lines = cells.map((line) =>
    line
      .map((v, i) => (COLUMNS[i]![2] === 'left' ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const states = now.pipelines.map((p) => `${p.name} ${p.state}`).join(', ') || 'nothing running';
  const head = `sluice top: ${now.node} at ${from} (${now.runs}, version ${now.version}): ${states}`;
  return `${head}\n${lines.join('\n')}\n`;
}
