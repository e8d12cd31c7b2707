import type { Batch } from './event.js';

/**
 * The NG channel contract: sources put and sinks take inside transactions, so an event leaves a
 * channel only when the sink that took it commits (Flume NG's Channel and Transaction, batch-oriented).
 *
 * A transaction moves NEW -> OPEN (begin) -> COMPLETED (commit or rollback) -> CLOSED (close).
 * put/take/commit return synchronously on the fast path and a promise when they must wait (keep-alive:
 * a take waits for events, a commit for room) or write (the file channel's log). The caller awaits a
 * returned promise before the next call on the same transaction; any other order is a
 * SLUICE_TRANSACTION error. A commit that fails leaves the transaction OPEN so it can be rolled back.
 *
 * Ownership: the array given to `put` belongs to the channel afterwards (it is queued, not copied);
 * the array returned by `take` belongs to the caller.
 */
export type TransactionState = 'new' | 'open' | 'completed' | 'closed';

export interface Transaction {
  readonly state: TransactionState;
  begin(): void;
  /**
   * Stages events; they become visible to takers when the transaction commits. More than
   * `transactionCapacity` events put in one transaction is a SLUICE_TRANSACTION error.
   */
  put(events: Batch): void | Promise<void>;
  /**
   * Takes up to `max` events from the head of the channel, waiting up to keep-alive for the first one;
   * an empty array means none came. Asking for more than the transaction's remaining
   * `transactionCapacity` is a SLUICE_TRANSACTION error.
   */
  take(max: number): Batch | Promise<Batch>;
  /**
   * Makes puts visible and takes final. Fails with SLUICE_CHANNEL_FULL (retriable) when the net puts
   * find no room within keep-alive.
   */
  commit(): void | Promise<void>;
  /** Drops the puts and returns taken events to the head of the channel, in their order. */
  rollback(): void | Promise<void>;
  close(): void;
}

export interface Channel {
  readonly name: string;
  /** The NG type name ("memory", "file"). */
  readonly type: string;
  start(): Promise<void>;
  /** Ends pending waits (takes return empty, commits fail with SLUICE_CLOSED) and releases resources. */
  stop(): Promise<void>;
  transaction(): Transaction;
  /** Committed events waiting to be taken. */
  readonly size: number;
  /** Most events the channel holds, those taken by open transactions included. */
  readonly capacity: number;
  /** Most events one transaction may put or take (memory and file channels have it). */
  readonly transactionCapacity?: number;
  /**
   * Body bytes held: committed and taken by open transactions (memory and file channels count them per
   * batch, for their reports and the memory channel's byte bound).
   */
  readonly bytes?: number;
  /** Most body bytes the channel holds, for a channel bounded in bytes. */
  readonly byteCapacity?: number;
  /**
   * Ends the keep-alive waits of the takes under way: they return what they have (nothing). A sink
   * runner that stops calls it, so a stop or a reconfiguration does not wait out keep-alive.
   */
  interruptTakes?(): void;
}
