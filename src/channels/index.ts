import { fileChannel } from './file.js';
import { memoryChannel } from './memory.js';
import type { ChannelDef } from './types.js';

/** The built-in NG channel types, listed explicitly (no registration by import side effect). */
export const CHANNELS: readonly ChannelDef[] = [memoryChannel, fileChannel];

export type { FileChannelOptions } from './file.js';
export { FileChannel, fileChannel } from './file.js';
export type { MemoryChannelOptions } from './memory.js';
export { defaultByteCapacity, MemoryChannel, memoryChannel } from './memory.js';
export type { TransactionOwner } from './transaction.js';
export { BasicTransaction } from './transaction.js';
export type {
  Channel,
  ChannelContext,
  ChannelDef,
  ChannelPropertySpec,
  ChannelPropertyType,
  ChannelProps,
  Transaction,
  TransactionState,
} from './types.js';
