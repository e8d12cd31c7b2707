import type { Channel } from '../core/channel.js';
import type { SiteConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';

/**
 * The NG channel contract (Channel, Transaction) is in core/channel.ts, below every component, so a
 * sink that drains its channel itself (the SparkSink) uses the same contract the channels implement.
 */
export type { Channel, Transaction, TransactionState } from '../core/channel.js';

/** Channels declare their keys like every property-configured component. */
import type { PropertySpec, PropertyType } from '../catalog/properties.js';
export type ChannelPropertySpec = PropertySpec;
export type ChannelPropertyType = PropertyType;

export interface ChannelContext {
  /** The channel's name in the agent configuration (`c1`). */
  name: string;
  config: SiteConfig;
  logger: Logger;
  /** The agent's name, used to place default directories. */
  agentName?: string;
}

export type ChannelProps = Readonly<Record<string, string>>;

/** A catalog entry for NG channels: what `<agent>.channels.<name>.type = <type>` builds. */
export interface ChannelDef {
  kind: 'channel';
  type: string;
  aliases?: string[];
  docs: string;
  properties: readonly ChannelPropertySpec[];
  /** Validates `props` (SLUICE_CONFIG naming the key) and builds a stopped channel. */
  create(props: ChannelProps, ctx: ChannelContext): Channel;
}
