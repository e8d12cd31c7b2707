import type { SiteConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { EventSink, EventSource } from '../core/pipeline.js';
import type { FormatLookup } from './format.js';

/**
 * The contract of a catalog entry: a kind, a name, a docs string, an argument schema and a builder.
 * `docs/components.md` and `sluice help components` are generated from these values.
 */
export type ParamType = 'string' | 'int' | 'float' | 'bool';
export type ArgValue = string | number | boolean;

export interface ParamSpec {
  name: string;
  type: ParamType;
  docs: string;
  /** Optional parameters must come after the required ones. */
  optional?: boolean;
  /** Used when an optional argument is absent; may also come from the site config (see `configDefault`). */
  default?: ArgValue;
  /** The site-config property whose value is the default (e.g. flume.collector.port). */
  configDefault?: string;
  /** The last parameter may take any number of values (`multitail("a", "b", ...)`). */
  variadic?: boolean;
  /** Its key in an agent file when that differs from `name` (Flume NG's name, e.g. `compression-type`). */
  property?: string;
  /** Other agent-file keys accepted for it (older Flume NG names). */
  propertyAliases?: string[];
}

export interface BuildContext {
  config: SiteConfig;
  /** The logical node being built (used for default paths, ports and log prefixes). */
  nodeName: string;
  /** exec, execStream and execPeriodic are refused unless the node was started with --allow-exec. */
  allowExec: boolean;
  logger: Logger;
  /**
   * Where output formats are looked up: the catalog the component was found in (set by the spec
   * compiler and the agent), so a plugin's format serves every sink; the built-in formats when absent.
   */
  formats?: FormatLookup;
  /**
   * Under a master: a new client asking the master which ack groups are acknowledged (end-to-end sinks
   * ask it instead of their collector; docs/reliability.md, "Ack wire"). Absent with `sluice node -1`.
   */
  acks?: () => { checkAck(tags: readonly string[]): Promise<string[]>; close(): Promise<void> };
  /**
   * The report of the physical node the component runs in, read now (set by the node hosts; the
   * `report` source turns it into events). Absent where nothing hosts pipelines (`sluice validate`).
   */
  nodeReport?: () => NodeReportReading;
  /** Set when the node is stopped for a new version of itself (Handover). */
  handover?: Handover;
}

/**
 * One reading of a node's report as attributes: names as the report page and `/api/report` name the
 * figures (`feed.sink.text.eventsOut`), values as numbers or text, names distinct; and a summary line.
 */
export interface NodeReportReading {
  attributes: readonly (readonly [name: string, value: number | string])[];
  summary: string;
}

interface ComponentBase {
  name: string;
  docs: string;
  params: ParamSpec[];
  /** Other names users may write (NG type names, older spellings). */
  aliases?: string[];
  /** The agent-file type of a component first defined by its properties (`TAILDIR`, `file_roll`). */
  agentType?: string;
  /**
   * The log the component keeps under its logical node's name in flume.agent.logdir (`writeahead`):
   * a new version of the node that keeps the same log takes over what the old one left in it.
   */
  nodeLog?: string;
  /**
   * The component stands in for its node's real configuration until the master can give one (the
   * `fail` sink): a node replaced by a version holding it keeps every node log for the version after.
   */
  standIn?: boolean;
}

/**
 * What a node's components learn when their node stops for a new version of itself (a live
 * reconfiguration): the node manager sets it, flow/compile.ts creates one per node. A component that
 * keeps something for its node (a file position, a write-ahead log) passes it on instead of starting
 * over or waiting for it.
 */
export interface Handover {
  /** The node is being replaced by a new version of itself, not stopped for good. */
  readonly replaced: boolean;
  /** That version keeps the node's logs (ComponentBase.nodeLog), or stands in for one that will. */
  readonly logsKept: boolean;
}

/** In CompiledNode.nodeLogs: the node is a stand-in that keeps every log (ComponentBase.standIn). */
export const KEEPS_EVERY_LOG = '*';

export interface SourceDef extends ComponentBase {
  kind: 'source';
  build(args: BoundArgs, ctx: BuildContext): EventSource;
}

export interface SinkDef extends ComponentBase {
  kind: 'sink';
  build(args: BoundArgs, ctx: BuildContext): EventSink;
}

export interface DecoratorDef extends ComponentBase {
  kind: 'decorator';
  build(args: BoundArgs, ctx: BuildContext, child: EventSink): EventSink;
}

export type ComponentDef = SourceDef | SinkDef | DecoratorDef;
export type ComponentKind = ComponentDef['kind'];

/**
 * Arguments after binding against a component's ParamSpec list: every required parameter is present
 * and of its declared type, so the typed getters cannot fail for declared names.
 */
export class BoundArgs {
  constructor(
    readonly component: string,
    private readonly values: ReadonlyMap<string, ArgValue | ArgValue[]>,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }
  string(name: string): string {
    return this.get(name) as string;
  }
  int(name: string): number {
    return this.get(name) as number;
  }
  float(name: string): number {
    return this.get(name) as number;
  }
  bool(name: string): boolean {
    return this.get(name) as boolean;
  }
  optString(name: string): string | undefined {
    return this.values.get(name) as string | undefined;
  }
  optInt(name: string): number | undefined {
    return this.values.get(name) as number | undefined;
  }
  optFloat(name: string): number | undefined {
    return this.values.get(name) as number | undefined;
  }
  optBool(name: string): boolean | undefined {
    return this.values.get(name) as boolean | undefined;
  }
  /** The bound value, whatever its type (what a spelling converts back to a property). */
  value(name: string): ArgValue | ArgValue[] | undefined {
    return this.values.get(name);
  }
  /** The values of a variadic parameter (empty when none were given). */
  rest<T extends ArgValue = string>(name: string): T[] {
    return (this.values.get(name) as T[] | undefined) ?? [];
  }
  private get(name: string): ArgValue | ArgValue[] {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`${this.component}: argument ${name} is not bound (a catalog bug)`);
    return v;
  }
  static of(component: string, values: Record<string, ArgValue | ArgValue[]>): BoundArgs {
    return new BoundArgs(component, new Map(Object.entries(values)));
  }
}
