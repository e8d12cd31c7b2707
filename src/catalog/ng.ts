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

/** A sink that manages its own channel transactions (serves remote pollers, like Spark's SparkSink). */
export interface ChannelDrainer {
  start(channel: DrainableChannel): Promise<void>;
  stop(): Promise<void>;
}

/** The part of a channel a ChannelDrainer uses (the channels layer implements it). */
export interface DrainableChannel {
  readonly name: string;
  /** Most events one transaction may take (memory and file channels have it); drainers cap takes at it. */
  readonly transactionCapacity?: number;
  transaction(): {
    begin(): void;
    take(max: number): Batch | Promise<Batch>;
    commit(): void | Promise<void>;
    rollback(): void | Promise<void>;
    close(): void;
  };
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

/** Every kind only agent files name directly. */
export type AgentDef = NgSourceDef | NgSinkDef | InterceptorDef | ChannelEntry;

export function isChannelDrainer(s: EventSink | ChannelDrainer): s is ChannelDrainer {
  return typeof (s as ChannelDrainer).start === 'function' && typeof (s as EventSink).append !== 'function';
}
