import type { PipelineReport } from '../flow/report.js';
import type { ProcessFigures } from './process-figures.js';

/**
 * What a node's web server answers on `/api/report`: its pipelines' reports (the one shape of
 * flow/report.ts) with who reports them and the process's figures. `sluice top`, the node page and
 * `/metrics` all read this one object.
 */
export interface NodeSnapshot {
  /** The physical node's name (the host name unless -n or the site says otherwise). */
  node: string;
  /** `logical-nodes` for `sluice node`, `agent` for `sluice agent`, `fleet` for a master's view. */
  runs: 'logical-nodes' | 'agent' | 'fleet';
  /** The configuration version the host runs (1 once started, +1 per reconfiguration). */
  version: number;
  /** Milliseconds since the epoch when this snapshot was taken. */
  time: number;
  process: ProcessFigures;
  pipelines: PipelineReport[];
  /** A master's view: the physical node running each logical node (by name). */
  physical?: Record<string, string>;
}
