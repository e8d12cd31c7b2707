import { SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Transaction, TransactionState } from './types.js';

/** What a transaction needs to know of its channel to enforce the contract. */
export interface TransactionOwner {
  readonly name: string;
  readonly transactionCapacity: number;
}

/**
 * The transaction state machine shared by every channel (the idea of Flume NG's
 * BasicTransactionSemantics): it checks state, pending calls and transactionCapacity, counts puts and
 * takes, and leaves only doPut/doTake/doCommit/doRollback to each channel. Each hook returns
 * synchronously when it can; a returned promise marks the transaction busy until it settles.
 */
export abstract class BasicTransaction implements Transaction {
  private st: TransactionState = 'new';
  private pending: string | undefined;
  /** Events put so far in this transaction. */
  protected putCount = 0;
  /** Events taken so far in this transaction. */
  protected takeCount = 0;

  constructor(protected readonly owner: TransactionOwner) {}

  get state(): TransactionState {
    return this.st;
  }

  begin(): void {
    if (this.st !== 'new') throw this.misuse(`begin() on a transaction that is already ${this.st}`);
    this.st = 'open';
  }

  put(events: Batch): void | Promise<void> {
    this.expectOpen('put');
    const n = events.length;
    if (n === 0) return;
    const cap = this.owner.transactionCapacity;
    if (this.putCount + n > cap) {
      throw this.misuse(
        `put of ${n} events exceeds the transactionCapacity of ${cap} (${this.putCount} already put): ` +
          'commit more often or raise transactionCapacity',
      );
    }
    const r = this.doPut(events);
    if (r === undefined) {
      this.putCount += n;
      return;
    }
    return this.track(
      'put',
      r.then(() => {
        this.putCount += n;
      }),
    );
  }

  take(max: number): Batch | Promise<Batch> {
    this.expectOpen('take');
    if (!Number.isInteger(max) || max < 1)
      throw this.misuse(`take(${max}): the maximum must be a positive integer`);
    const cap = this.owner.transactionCapacity;
    if (this.takeCount + max > cap) {
      throw this.misuse(
        `take(${max}) exceeds the transactionCapacity of ${cap} (${this.takeCount} already taken): ` +
          'take smaller batches or raise transactionCapacity',
      );
    }
    const r = this.doTake(max);
    if (Array.isArray(r)) {
      this.takeCount += r.length;
      return r;
    }
    return this.track(
      'take',
      r.then((b) => {
        this.takeCount += b.length;
        return b;
      }),
    );
  }

  commit(): void | Promise<void> {
    this.expectOpen('commit');
    const r = this.doCommit();
    if (r === undefined) {
      this.st = 'completed';
      return;
    }
    return this.track(
      'commit',
      r.then(() => {
        this.st = 'completed';
      }),
    );
  }

  rollback(): void | Promise<void> {
    this.expectOpen('rollback');
    const r = this.doRollback();
    if (r === undefined) {
      this.st = 'completed';
      return;
    }
    return this.track(
      'rollback',
      r.then(() => {
        this.st = 'completed';
      }),
    );
  }

  close(): void {
    if (this.pending) throw this.misuse(`close() while ${this.pending}() is still pending: await it first`);
    if (this.st === 'open') throw this.misuse('close() on an open transaction: commit or roll back first');
    if (this.st === 'closed') throw this.misuse('close() on a transaction that is already closed');
    this.st = 'closed';
  }

  protected abstract doPut(events: Batch): void | Promise<void>;
  protected abstract doTake(max: number): Batch | Promise<Batch>;
  protected abstract doCommit(): void | Promise<void>;
  protected abstract doRollback(): void | Promise<void>;

  protected misuse(message: string): SluiceError {
    return new SluiceError('SLUICE_TRANSACTION', `channel ${this.owner.name}: ${message}`, {
      place: { component: `channel ${this.owner.name}` },
    });
  }

  private expectOpen(op: string): void {
    if (this.pending) throw this.misuse(`${op}() while ${this.pending}() is still pending: await it first`);
    if (this.st === 'open') return;
    const why =
      this.st === 'new'
        ? 'call begin() first'
        : this.st === 'completed'
          ? 'it was already committed or rolled back'
          : 'it is closed';
    throw this.misuse(`${op}() on a ${this.st} transaction (${why})`);
  }

  private track<T>(op: string, p: Promise<T>): Promise<T> {
    this.pending = op;
    return p.finally(() => {
      this.pending = undefined;
    });
  }
}
