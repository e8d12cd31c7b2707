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

/** capacity and transactionCapacity, checked against each other as every channel needs. */
export function capacities(p: ChannelProperties): { capacity: number; transactionCapacity: number } {
  const capacity = p.int('capacity');
  const transactionCapacity = p.int('transactionCapacity');
  if (transactionCapacity > capacity) {
    throw p.error(
      'transactionCapacity',
      `transactionCapacity (${transactionCapacity}) cannot be higher than capacity (${capacity})`,
    );
  }
  return { capacity, transactionCapacity };
}
