import type { Channel } from '../core/channel.js';
import type { Batch } from '../core/event.js';
import type { EventSink, EventSource } from '../core/pipeline.js';
import type { ComponentProperties, PropertySpec, RawProps } from './properties.js';
import type { BuildContext } from './types.js';

/**
 * Catalog entries of the agent properties format (Flume NG): configured by `key = value` properties
 * instead of positional arguments. An NG source is an ordinary EventSource (the agent puts what it
 * pulls into channels); an NG sink is an ordinary EventSink driven by a sink runner that takes from
 * its channel in transactions, unless it drains the channel itself (the SparkSink).
 */
interface NgBase {
  /** The type name in agent files (`spooldir`, `org.apache.spark.streaming.flume.sink.SparkSink`). */
  type: string;
  aliases?: string[];
  docs: string;
  properties: readonly PropertySpec[];
  /**
   * Why a dataflow spec cannot name this component (it serves a channel, or its keys are keyed groups);
   * absent when it can: its keyword arguments are its property names in camelCase (catalog/spellings.ts).
   */
  specUnavailable?: string;
}

export interface NgSourceDef extends NgBase {
  kind: 'ng-source';
  create(props: ComponentProperties, ctx: BuildContext): EventSource;
}

/**
 * A sink that manages its own channel transactions (serves remote pollers, like Spark's SparkSink):
 * it is handed the channel itself and uses the channels' own transaction contract (core/channel.ts).
 */
export interface ChannelDrainer {
  start(channel: Channel): Promise<void>;
  stop(): Promise<void>;
}

export interface NgSinkDef extends NgBase {
  kind: 'ng-sink';
  create(props: ComponentProperties, ctx: BuildContext): EventSink | ChannelDrainer;
}

/** Changes or filters a batch on its way from a source to the channels (may return a new array). */
export type Interceptor = (batch: Batch) => Batch;

export interface InterceptorDef extends NgBase {
  kind: 'interceptor';
  create(props: ComponentProperties, ctx: BuildContext): Interceptor;
}

/** What `<agent>.channels.<name>.type` names (the channels layer gives create its own types). */
export interface ChannelEntry extends NgBase {
  kind: 'channel';
  // biome-ignore lint/suspicious/noExplicitAny: channels/types.ts types the context and the channel.
  create(props: RawProps, ctx: any): unknown;
}

/**
 * Which channels each event of a batch goes to (Flume NG's channel selectors): per channel, the events
 * it gets. `C` is whatever the agent hands the selector as a channel; a selector only passes them on.
 */
export type ChannelSelector<C> = (batch: Batch) => Map<C, Batch>;

/** What `<agent>.sources.<s>.selector.type` names (replicating, multiplexing, or a plugin's). */
export interface SelectorDef extends NgBase {
  kind: 'selector';
  /**
   * The selector of one source over `channels`: the channels the source lists, by name, in its order.
   * A property that names something wrong fails with `props.error(key, ...)`: the agent places it.
   */
  create<C>(
    props: ComponentProperties,
    channels: ReadonlyMap<string, C>,
    ctx: BuildContext,
  ): ChannelSelector<C>;
}

/** How a sink group orders its sinks for each batch (what a sink processor decides). */
export interface SinkSelector {
  /** Indices of the sinks to try for the next batch, best first; failed sinks in backoff are left out. */
  order(now: number): number[];
  failed(index: number, now: number): void;
  succeeded(index: number): void;
}

/** What `<agent>.sinkgroups.<g>.processor.type` names (default, failover, load_balance, or a plugin's). */
export interface ProcessorDef extends NgBase {
  kind: 'processor';
  /** The ordering of one group over its sinks (named in the group's order; indices follow it). */
  create(props: ComponentProperties, sinks: readonly string[], ctx: BuildContext): SinkSelector;
}

/** Every kind only agent files name directly. */
export type AgentDef = NgSourceDef | NgSinkDef | InterceptorDef | ChannelEntry | SelectorDef | ProcessorDef;

export function isChannelDrainer(s: EventSink | ChannelDrainer): s is ChannelDrainer {
  return typeof (s as ChannelDrainer).start === 'function' && typeof (s as EventSink).append !== 'function';
}
