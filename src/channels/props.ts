import { ComponentProperties } from '../catalog/properties.js';
import type { ChannelContext, ChannelPropertySpec, ChannelProps } from './types.js';

/**
 * Typed, validated access to a channel's properties: every value is checked against its spec once,
 * at create time, so a bad value fails with SLUICE_CONFIG naming the channel and key before anything
 * starts. Keys no spec names are reported as warnings (Flume ignores them too, but a typo should show).
 */
export class ChannelProperties extends ComponentProperties {
  constructor(
    _type: string,
    specs: readonly ChannelPropertySpec[],
    props: ChannelProps,
    ctx: ChannelContext,
  ) {
    super(`channel ${ctx.name}`, specs, props, ctx.logger);
  }
}
