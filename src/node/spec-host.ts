import { hostname } from 'node:os';
import type { Catalog } from '../catalog/registry.js';
import type { BuildContext } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { type CompiledNode, compileSpec } from '../flow/compile.js';
import { NodeManager } from '../flow/node-manager.js';
import type { ConfigChanges, PipelineReport } from '../flow/report.js';
import { parseSpec } from '../spec/parser.js';
import { hostContext, type PipelineConfig, type PipelineHost, underSite } from './host.js';

export interface SpecHostOptions {
  catalog: Catalog;
  context: BuildContext;
  logger: Logger;
  /** Run only this logical node of the spec. */
  only?: string | undefined;
  /** The physical node's name, as its report names it (default: the host name). */
  node?: string | undefined;
}

/**
 * Logical nodes from a dataflow spec. A reconfiguration compares each node's printed spec: the same
 * text leaves the node running; another text drains the node (its source closes, batches in flight
 * are delivered, its sinks flush and close) and starts the new one; a node no longer in the spec is
 * drained and stopped.
 */
export class SpecHost implements PipelineHost {
  readonly manager: NodeManager;
  /** The options' context, through which components read this host's reports. */
  private readonly context: BuildContext;

  constructor(private readonly opts: SpecHostOptions) {
    this.manager = new NodeManager(opts.logger);
    this.context = hostContext(opts.context, opts.node ?? hostname(), this);
  }

  get version(): number {
    return this.manager.version;
  }

  /** Parses, checks and compiles a spec (so nothing runs when it has an error), keeping `only`. */
  compile(config: PipelineConfig): CompiledNode[] {
    const spec = parseSpec(config.text, config.file);
    const nodes = compileSpec(spec, {
      catalog: this.opts.catalog,
      context: this.context,
      file: config.file,
    });
    const only = this.opts.only;
    const chosen = only === undefined ? nodes : nodes.filter((n) => n.name === only);
    if (chosen.length === 0)
      throw new SluiceError(
        'SLUICE_CONFIG',
        only === undefined
          ? 'the spec defines no logical node'
          : `the spec has no node named "${only}" (it has: ${nodes.map((n) => n.name).join(', ') || 'none'})`,
        { place: { file: config.file } },
      );
    return chosen;
  }

  async start(config: PipelineConfig): Promise<void> {
    await this.reconfigure(config);
  }

  /** Checks and compiles, then applies by diff under this host's site limits. */
  async reconfigure(config: PipelineConfig): Promise<ConfigChanges> {
    return this.apply(this.compile(config));
  }

  /**
   * Runs exactly these compiled nodes, by diff with what runs, under this host's site limits (so a
   * body is cut at this node's flume.event.max.size.bytes, not at a process-wide value). `sluice dump`
   * hands its one node over here, built without a spec text.
   */
  apply(nodes: readonly CompiledNode[]): Promise<ConfigChanges> {
    return underSite(this.opts.context.config, () => this.manager.reconfigure(nodes));
  }

  /**
   * What makes a run a failure (docs/cli.md, exit statuses), one line each: a node in ERROR, events in
   * batches the node failed, events a sink dropped. Empty when everything read was delivered.
   */
  faults(): string[] {
    const out: string[] = [];
    for (const n of this.manager.list()) {
      const t = n.totals();
      if (t.state === 'ERROR') out.push(`node ${t.name} failed${t.error ? `: ${t.error}` : ''}`);
      if (t.failed > 0) out.push(`node ${t.name}: ${t.failed} events in failed batches`);
      for (const k of t.sinks)
        if (k.dropped > 0) out.push(`node ${t.name}: sink ${k.name} dropped ${k.dropped} events`);
    }
    return out;
  }

  /** Resolves when every node reached IDLE or ERROR (finite sources drained). */
  settled(): Promise<void> {
    return this.manager.settled();
  }

  stop(): Promise<void> {
    return this.manager.stopAll();
  }

  reports(): PipelineReport[] {
    return this.manager.reports();
  }
}
