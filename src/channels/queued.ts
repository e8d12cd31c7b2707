import { bodyBytes } from '../core/batch-bytes.js';
import { SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import { type Piece, RunQueue } from './queue.js';
import { BasicTransaction } from './transaction.js';
import type { Channel, Transaction } from './types.js';
import { Waiters } from './waiters.js';

/**
 * What the memory and file channels share: a FIFO of committed runs in memory, events taken by open
 * transactions (still counted against capacity until their transaction commits, so a rollback always
 * has room), and keep-alive waits for events and room. Subclasses decide how a commit is made durable.
 */
export abstract class QueuedChannel implements Channel {
  abstract readonly type: string;
  protected readonly queue = new RunQueue();
  /** Events taken by open transactions. */
  protected inflight = 0;
  /** Room held by commits that are being written. */
  protected reserved = 0;
  protected readonly dataWaiters = new Waiters();
  protected readonly roomWaiters = new Waiters();
  protected lifecycle: 'idle' | 'running' | 'stopped' = 'idle';
  /** Body bytes queued or taken by open transactions: the report's fill in bytes. */
  protected bytesUsed = 0;

  constructor(
    readonly name: string,
    readonly capacity: number,
    readonly transactionCapacity: number,
    readonly keepAliveMs: number,
  ) {}

  get size(): number {
    return this.queue.count;
  }

  get bytes(): number {
    return this.bytesUsed;
  }

  /** Events counted against capacity: queued, taken but not committed, and being committed. */
  get used(): number {
    return this.queue.count + this.inflight + this.reserved;
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  transaction(): Transaction {
    return new QueuedTransaction(this);
  }

  /** Makes the transaction's puts visible and its takes final (sync when nothing must wait or write). */
  abstract commitTx(tx: QueuedTransaction): void | Promise<void>;

  rollbackTx(tx: QueuedTransaction): void {
    if (tx.pieces.length > 0) {
      this.queue.unshift(tx.pieces);
      this.inflight -= tx.taken;
      this.onReturned(tx);
      this.dataWaiters.wake();
    }
    tx.reset();
  }

  /** Takes what is at hand, or waits up to keep-alive for the first event. */
  takeTx(tx: QueuedTransaction, max: number): Batch | Promise<Batch> {
    this.ensureRunning('take');
    const got = this.takeNow(tx, max);
    if (got.length > 0 || this.keepAliveMs <= 0) return got;
    return this.takeLater(tx, max, Date.now() + this.keepAliveMs);
  }

  putTx(tx: QueuedTransaction, events: Batch): void {
    this.ensureRunning('put');
    // bodyBytes sums a batch once for every meter it passes (the agent's channel meter counts it next).
    tx.putBytes += bodyBytes(events);
  }

  ensureRunning(op: string): void {
    if (this.lifecycle === 'running') return;
    throw new SluiceError(
      'SLUICE_CLOSED',
      `channel ${this.name}: ${op}() on a ${this.lifecycle === 'idle' ? 'channel that was not started' : 'stopped channel'}`,
      { place: { component: `channel ${this.name}` } },
    );
  }

  /** Called with each batch a transaction took. */
  protected onTaken(_tx: QueuedTransaction, _batch: Batch): void {}

  /** A commit went through: its net bytes join (or leave) the fill, before `tx.reset()`. */
  protected committedBytes(tx: QueuedTransaction): void {
    this.bytesUsed += tx.putBytes - tx.takenBytes;
  }

  /** Called when a rollback returned the transaction's taken events to the queue. */
  protected onReturned(_tx: QueuedTransaction): void {}

  protected takeNow(tx: QueuedTransaction, max: number): Batch {
    const got = this.queue.take(max, tx.pieces);
    if (got.length > 0) {
      this.inflight += got.length;
      tx.takenBytes += bodyBytes(got);
      this.onTaken(tx, got);
    }
    return got;
  }

  /** Bumped by interruptTakes(): a take that began before returns empty when it wakes. */
  private takeEpoch = 0;

  interruptTakes(): void {
    this.takeEpoch++;
    this.dataWaiters.wake();
  }

  private async takeLater(tx: QueuedTransaction, max: number, deadline: number): Promise<Batch> {
    const epoch = this.takeEpoch;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || this.lifecycle !== 'running') return [];
      await this.dataWaiters.wait(left);
      if (this.lifecycle !== 'running' || this.takeEpoch !== epoch) return [];
      const got = this.takeNow(tx, max);
      if (got.length > 0) return got;
    }
  }

  /**
   * Resolves once `fits()` holds, waiting up to keep-alive for takes to free room; then fails with
   * SLUICE_CHANNEL_FULL. `never` says the commit cannot fit even in an empty channel.
   */
  protected waitForRoom(fits: () => boolean, need: string, never: boolean): void | Promise<void> {
    if (fits()) return;
    if (never || this.keepAliveMs <= 0) throw this.full(need, never);
    return this.roomLater(fits, need, Date.now() + this.keepAliveMs);
  }

  private async roomLater(fits: () => boolean, need: string, deadline: number): Promise<void> {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw this.full(need, false);
      await this.roomWaiters.wait(left);
      this.ensureRunning('commit');
      if (fits()) return;
    }
  }

  protected full(need: string, never: boolean): SluiceError {
    const why = never
      ? 'more than the channel can ever hold'
      : `no room within keep-alive ${this.keepAliveMs / 1000}s (capacity ${this.capacity}, ${this.used} in use): sinks are likely not keeping up`;
    return new SluiceError('SLUICE_CHANNEL_FULL', `channel ${this.name}: cannot commit ${need}: ${why}`, {
      place: { component: `channel ${this.name}` },
      retriable: !never,
    });
  }

  /** Ends every keep-alive wait: takes return empty, commits fail with SLUICE_CLOSED. */
  protected wakeAll(): void {
    this.dataWaiters.wake();
    this.roomWaiters.wake();
  }
}

/** The one transaction class of queued channels: a put list and the pieces it took. */
export class QueuedTransaction extends BasicTransaction {
  putList: Event[][] = [];
  pieces: Piece[] = [];
  /** Sum of body bytes put / taken, summed per batch. */
  putBytes = 0;
  takenBytes = 0;

  constructor(private readonly ch: QueuedChannel) {
    super(ch);
  }

  get puts(): number {
    return this.putCount;
  }

  get taken(): number {
    return this.takeCount;
  }

  /** Everything put, as one array. */
  putEvents(): Event[] {
    if (this.putList.length === 1) return this.putList[0]!;
    const out: Event[] = [];
    for (const b of this.putList) for (let i = 0; i < b.length; i++) out.push(b[i]!);
    return out;
  }

  reset(): void {
    this.putList = [];
    this.pieces = [];
    this.putBytes = 0;
    this.takenBytes = 0;
  }

  protected doPut(events: Batch): void {
    this.ch.putTx(this, events);
    this.putList.push(events);
  }

  protected doTake(max: number): Batch | Promise<Batch> {
    return this.ch.takeTx(this, max);
  }

  protected doCommit(): void | Promise<void> {
    return this.ch.commitTx(this);
  }

  protected doRollback(): void {
    this.ch.rollbackTx(this);
  }
}
