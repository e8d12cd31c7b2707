import { getHeapStatistics } from 'node:v8';
import { ChannelProperties, capacities } from './props.js';
import { QueuedChannel, type QueuedTransaction } from './queued.js';
import type { ChannelContext, ChannelDef, ChannelProps } from './types.js';

export interface MemoryChannelOptions {
  capacity: number;
  transactionCapacity: number;
  /** Most body bytes held (before the buffer percentage is taken off). */
  byteCapacity: number;
  byteCapacityBufferPercentage: number;
  keepAliveMs: number;
}

/**
 * Flume's default byteCapacity is 80% of the JVM's maximum heap; the nearest Node figure is V8's heap
 * limit. Bodies live outside the V8 heap, so this is a budget the operator can reason about rather
 * than an exact bound on process memory.
 */
export function defaultByteCapacity(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * 0.8);
}

/**
 * An in-memory channel: fast, bounded by events and by body bytes, lost on restart. Puts reserve
 * room at commit (waiting keep-alive for takes to free it); taken events hold their room until their
 * transaction commits.
 */
export class MemoryChannel extends QueuedChannel {
  readonly type = 'memory';
  /** Body bytes the channel accepts: byteCapacity less the buffer percentage kept for headers. */
  readonly byteLimit: number;

  constructor(name: string, opts: MemoryChannelOptions) {
    super(name, opts.capacity, opts.transactionCapacity, opts.keepAliveMs);
    this.byteLimit = Math.floor(opts.byteCapacity * (1 - opts.byteCapacityBufferPercentage / 100));
  }

  /** The byte bound, when one is set (byteCapacity 0 sets none). */
  get byteCapacity(): number | undefined {
    return this.byteLimit >= Number.MAX_SAFE_INTEGER ? undefined : this.byteLimit;
  }

  async start(): Promise<void> {
    this.lifecycle = 'running';
  }

  async stop(): Promise<void> {
    this.lifecycle = 'stopped';
    this.wakeAll();
  }

  commitTx(tx: QueuedTransaction): void | Promise<void> {
    this.ensureRunning('commit');
    const n = tx.puts;
    if (n === 0) {
      this.finish(tx);
      return;
    }
    const t = tx.taken;
    const fits = () =>
      this.used - t + n <= this.capacity && this.bytesUsed - tx.takenBytes + tx.putBytes <= this.byteLimit;
    const never = n > this.capacity || tx.putBytes > this.byteLimit;
    const need =
      tx.putBytes > this.byteLimit
        ? `${n} events of ${tx.putBytes} body bytes (byte limit ${this.byteLimit})`
        : `${n} events`;
    const r = this.waitForRoom(fits, need, never);
    if (r === undefined) {
      this.finish(tx);
      return;
    }
    return r.then(() => this.finish(tx));
  }

  private finish(tx: QueuedTransaction): void {
    for (const b of tx.putList) this.queue.push(b);
    this.committedBytes(tx);
    if (tx.taken > 0) {
      this.inflight -= tx.taken;
      this.roomWaiters.wake();
    }
    if (tx.puts > 0) this.dataWaiters.wake();
    tx.reset();
  }
}

export const memoryChannel: ChannelDef = {
  kind: 'channel',
  type: 'memory',
  docs:
    'Holds events in memory: the fastest channel, bounded by event count and body bytes. Events are ' +
    'lost if the process stops; use the file channel when they must survive.',
  properties: [
    { name: 'capacity', type: 'int', default: '100', min: 1, docs: 'Most events the channel holds.' },
    {
      name: 'transactionCapacity',
      type: 'int',
      default: '100',
      min: 1,
      docs: 'Most events one transaction may put, and most it may take.',
    },
    {
      name: 'byteCapacity',
      type: 'int',
      min: 0,
      docs:
        'Most bytes of event bodies held (default: 80% of the V8 heap limit). 0 means no byte limit ' +
        'beyond capacity.',
    },
    {
      name: 'byteCapacityBufferPercentage',
      type: 'int',
      default: '20',
      min: 0,
      docs: 'Share of byteCapacity kept free for headers and object overhead, which are not counted.',
    },
    {
      name: 'keep-alive',
      type: 'float',
      default: '3',
      min: 0,
      docs: 'Seconds a take waits for an event and a commit waits for room.',
    },
  ],
  create(props: ChannelProps, ctx: ChannelContext): MemoryChannel {
    const p = new ChannelProperties('memory', memoryChannel.properties, props, ctx);
    const { capacity, transactionCapacity } = capacities(p);
    const pct = p.int('byteCapacityBufferPercentage');
    if (pct >= 100)
      throw p.error('byteCapacityBufferPercentage', 'byteCapacityBufferPercentage must be below 100');
    const byteCapacity = p.has('byteCapacity') ? p.int('byteCapacity') : defaultByteCapacity();
    return new MemoryChannel(ctx.name, {
      capacity,
      transactionCapacity,
      byteCapacity: byteCapacity === 0 ? Number.MAX_SAFE_INTEGER : byteCapacity,
      byteCapacityBufferPercentage: byteCapacity === 0 ? 0 : pct,
      keepAliveMs: Math.round(p.float('keep-alive') * 1000),
    });
  },
};
