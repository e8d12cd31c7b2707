import type { BuildContext } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Agent, type AgentCatalog } from '../flow/agent/agent.js';
import type { ConfigChanges, PipelineReport } from '../flow/report.js';
import { hostContext, type PipelineConfig, type PipelineHost, underSite } from './host.js';

/**
 * One Flume NG agent from a properties file. A reconfiguration diffs per component (Agent.reconfigure):
 * unchanged channels keep their events, unchanged sinks their connections; a source whose own
 * properties changed is stopped (its batch in hand committed or rolled back) and started again.
 */
export class AgentHost implements PipelineHost {
  private current: Agent | undefined;
  /** Reconfigurations apply one after the other. */
  private chain: Promise<unknown> = Promise.resolve();

  /** The given context, through which components read this host's report. */
  private readonly context: BuildContext;

  constructor(
    /** The agent's name: the prefix of its keys, and the node its report names. */
    readonly name: string,
    private readonly catalog: AgentCatalog,
    context: BuildContext,
  ) {
    this.context = hostContext(context, name, this);
  }

  get version(): number {
    return this.current?.version ?? 0;
  }

  get agent(): Agent | undefined {
    return this.current;
  }

  /** Parses and builds (every error names file, line and key) without starting anything. */
  check(config: PipelineConfig): Agent {
    return Agent.fromText(config.text, config.file, this.name, this.catalog, this.context);
  }

  async start(config: PipelineConfig): Promise<void> {
    if (this.current) throw new SluiceError('SLUICE_CONFIG', `agent ${this.name} is already started`);
    const agent = this.check(config);
    this.current = agent;
    await underSite(this.context.config, () => agent.start());
  }

  reconfigure(config: PipelineConfig): Promise<ConfigChanges> {
    const run = this.chain.then(() => {
      const agent = this.current;
      if (!agent) throw new SluiceError('SLUICE_CONFIG', `agent ${this.name} is not started`);
      const conf = Agent.parse(config.text, config.file, this.name, this.catalog, this.context);
      return underSite(this.context.config, () => agent.reconfigure(conf));
    });
    this.chain = run.catch(() => {});
    return run;
  }

  async stop(): Promise<void> {
    // A reload still applying would otherwise start new sources after this stop.
    await this.chain;
    await this.current?.stop();
  }

  /** What makes the run a failure (Agent.faults): empty when everything read was delivered or kept. */
  faults(): string[] {
    return this.current?.faults() ?? [];
  }

  reports(): PipelineReport[] {
    return this.current ? [this.current.report()] : [];
  }
}
