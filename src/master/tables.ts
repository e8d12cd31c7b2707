import { DEFAULT_FLOW } from './flows.js';
import type { MasterInfo } from './leader.js';
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

/** getmasters: the masters sharing the store; the one the shell is connected to says so. */
export function formatMasters(list: readonly MasterInfo[]): string {
  const rows = list.map((m) => [
    `${m.address}${m.self ? ' (connected)' : ''}`,
    m.leads ? 'leader' : 'follower',
    String(m.nodes),
  ]);
  return table(['master', 'translation', 'nodes heartbeating'], rows);
}

/** What the master hands each node (translate.ts): shown beside what the user entered. */
export interface TranslatedView {
  translated?: Record<string, { version: number; spec: string }>;
  flows?: Record<string, string>;
}

export function formatConfigs(list: readonly LogicalConfig[], view: TranslatedView = {}): string {
  const rows = list.map((c) => {
    const t = view.translated?.[c.name];
    const spec = t?.spec.slice(`${c.name} : `.length).replace(/ ;$/, '');
    return [
      c.name,
      view.flows?.[c.name] ?? DEFAULT_FLOW,
      String(c.version),
      c.hash,
      c.source,
      c.sink,
      t === undefined ? '-' : `v${t.version}: ${spec}`,
    ];
  });
  return table(['logical node', 'flow', 'version', 'hash', 'source', 'sink', 'translated'], rows);
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
