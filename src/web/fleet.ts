import type { PipelineReport } from '../flow/report.js';
import { processFigures } from './process-figures.js';
import type { NodeSnapshot } from './snapshot.js';

/**
 * A logical node as a master knows it from heartbeats (the master's NodeStatus, read structurally: the
 * web layer sits below the master).
 */
export interface FleetNodeStatus {
  name: string;
  physical: string;
  state: string;
  version: number;
  error?: string | undefined;
  report?: PipelineReport | undefined;
}

/**
 * A master's view of its fleet in the node snapshot shape, so the one page, `/metrics` and `sluice top`
 * serve it too: every logical node with the report of its last heartbeat, its state as the master sees
 * it (LOST after missed heartbeats), and `physical` naming the physical node that runs it (the `node`
 * label of its series). `process` is the master's own.
 */
export function fleetSnapshot(master: string, status: readonly FleetNodeStatus[]): NodeSnapshot {
  const physical: Record<string, string> = {};
  const pipelines: PipelineReport[] = [];
  for (const s of status) {
    if (s.physical === '') continue; // decommissioned: nothing runs it
    physical[s.name] = s.physical;
    const r = s.report;
    pipelines.push({
      name: s.name,
      kind: r?.kind ?? 'logical-node',
      state: s.state,
      version: s.version,
      ...(s.error !== undefined || r?.error !== undefined ? { error: s.error ?? r?.error } : {}),
      components: r?.components ?? [],
    });
  }
  return {
    node: master,
    runs: 'fleet',
    version: Math.max(0, ...status.map((s) => s.version)),
    time: Date.now(),
    process: processFigures(),
    pipelines,
    physical,
  };
}
