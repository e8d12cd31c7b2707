import type { NodeStatus } from './master.js';
import type { LogicalConfig } from './store.js';

/** The tables getnodestatus and getconfigs print: one row per logical node, columns padded. */

export function formatStatus(list: readonly NodeStatus[]): string {
  const rows = list.map((s) => [
    s.name,
    s.physical || '-',
    s.host || '-',
    s.state,
    s.version === 0 ? 'none' : String(s.version),
    s.applied === 'FAILED' ? `FAILED: ${s.error ?? ''}` : (s.applied ?? '-'),
    s.lastSeen === 0 ? '-' : new Date(s.lastSeen).toISOString(),
  ]);
  return table(
    ['logical node', 'physical node', 'host', 'state', 'version', 'last config', 'last seen'],
    rows,
  );
}

export function formatConfigs(list: readonly LogicalConfig[]): string {
  const rows = list.map((c) => [c.name, String(c.version), c.hash, c.source, c.sink]);
  return table(['logical node', 'version', 'hash', 'source', 'sink'], rows);
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
