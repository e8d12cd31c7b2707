import type { BuildContext } from '../catalog/types.js';
import type { SiteConfig } from '../core/config.js';
import { type SiteLimits, withSiteLimits } from '../core/event.js';
import type { ConfigChanges, PipelineReport } from '../flow/report.js';
import { reportReading } from '../flow/report-reading.js';

/** A configuration as text, with the file it came from (error places name it). */
export interface PipelineConfig {
  text: string;
  file: string;
}

/**
 * The one contract of everything that runs pipelines in a node: logical nodes from a dataflow spec
 * (`SpecHost`), an agent from a properties file (`AgentHost`). The master, the file reloader and the
 * CLI drive every host the same way; docs/node-host.md is the written contract.
 *
 * - `start(config)` checks the configuration completely before anything runs, then starts it.
 * - `reconfigure(config)` checks the new configuration completely (an error names file and line, and
 *   the running configuration stays), then applies it by diff: unchanged components keep running
 *   untouched (their connections stay open); a changed component is replaced only once the events it
 *   accepted were delivered or put back in a channel; removed ones are drained and stopped. Calls are
 *   applied one after the other.
 * - `stop()` drains: sources close first, what they accepted is delivered (or stays in a durable
 *   channel), sinks flush and close.
 * - `reports()` gives one PipelineReport per pipeline, in one shape for every host.
 */
export interface PipelineHost {
  /** The configuration version: 1 once started, +1 per reconfiguration taken. */
  readonly version: number;
  start(config: PipelineConfig): Promise<void>;
  reconfigure(config: PipelineConfig): Promise<ConfigChanges>;
  stop(): Promise<void>;
  reports(): PipelineReport[];
}

/** One line for the log: what a reconfiguration changed. */
export function describeChanges(c: ConfigChanges): string {
  const parts = (['replaced', 'rewired', 'added', 'removed', 'unchanged'] as const)
    .filter((k) => c[k].length > 0)
    .map((k) => `${k}: ${c[k].join(', ')}`);
  return `version ${c.version}${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`;
}

/** A node's site limits, read from its own site configuration. */
export function siteLimits(config: SiteConfig): SiteLimits {
  return { maxBodySize: config.getInt('flume.event.max.size.bytes') };
}

/**
 * Runs `fn` under the site limits of `config`: everything a host starts or reconfigures inherits them
 * (a SIGHUP handler or the master's call would otherwise run with the process defaults).
 */
export function underSite<T>(config: SiteConfig, fn: () => T): T {
  return withSiteLimits(siteLimits(config), fn);
}

/**
 * The context a host builds its components with: the given one, plus a reading of this host's reports
 * (all its pipelines, as `/api/report` shows them) for the `report` source. `node` names the physical
 * node in the reading.
 */
export function hostContext(
  context: BuildContext,
  node: string,
  host: Pick<PipelineHost, 'reports'>,
): BuildContext {
  return { ...context, nodeReport: () => reportReading(node, host.reports()) };
}
