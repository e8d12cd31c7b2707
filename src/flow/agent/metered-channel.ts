import type { Channel, Transaction, TransactionState } from '../../channels/types.js';
import { bodyBytes } from '../../core/batch-bytes.js';
import type { Batch } from '../../core/event.js';
import { type BufferFigures, ComponentMeter } from '../report.js';

/**
 * A channel as the agent's runners see it: the same channel, counting what its transactions commit
 * (events and body bytes put and taken, put-to-commit time) and how many transactions are open, so a
 * reconfiguration can tell when nothing is on its way into a channel it retires. One small object per
 * transaction, none per event.
 */
export class MeteredChannel implements Channel {
  readonly meter: ComponentMeter;
  /** Transactions begun and not yet closed. */
  open = 0;

  constructor(readonly inner: Channel) {
    this.meter = new ComponentMeter('channel', inner.name, inner.type);
  }

  get name(): string {
    return this.inner.name;
  }
  get type(): string {
    return this.inner.type;
  }
  get size(): number {
    return this.inner.size;
  }
  get capacity(): number {
    return this.inner.capacity;
  }
  get bytes(): number | undefined {
    return this.inner.bytes;
  }
  get byteCapacity(): number | undefined {
    return this.inner.byteCapacity;
  }

  /** Its fill, as the report shows it. */
  buffer(): BufferFigures {
    return { size: this.size, capacity: this.capacity, bytes: this.bytes, byteCapacity: this.byteCapacity };
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  stop(): Promise<void> {
    return this.inner.stop();
  }
  interruptTakes(): void {
    this.inner.interruptTakes?.();
  }
  transaction(): Transaction {
    return new MeteredTransaction(this.inner.transaction(), this);
  }

  /** Nothing waits in the channel and no transaction is open (no put on its way in). */
  get idle(): boolean {
    return this.open === 0 && this.inner.size === 0;
  }
}

class MeteredTransaction implements Transaction {
  private putBatches = 0;
  private putEvents = 0;
  private putBytes = 0;
  private taken = 0;
  private takenBytes = 0;
  private began = 0;
  private counted = false;

  constructor(
    private readonly tx: Transaction,
    private readonly ch: MeteredChannel,
  ) {}

  get state(): TransactionState {
    return this.tx.state;
  }

  begin(): void {
    this.tx.begin();
    this.ch.open++;
    this.counted = true;
    this.began = performance.now();
  }

  put(events: Batch): void | Promise<void> {
    const r = this.tx.put(events);
    this.putBatches++;
    this.putEvents += events.length;
    this.putBytes += bodyBytes(events);
    return r;
  }

  take(max: number): Batch | Promise<Batch> {
    const r = this.tx.take(max);
    if (r instanceof Promise)
      return r.then((b) => {
        this.tookBatch(b);
        return b;
      });
    this.tookBatch(r);
    return r;
  }

  // The queued channels summed these bytes as they took the batch: bodyBytes finds them again.
  private tookBatch(b: Batch): void {
    this.taken += b.length;
    if (b.length > 0) this.takenBytes += bodyBytes(b);
  }

  commit(): void | Promise<void> {
    const r = this.tx.commit();
    if (r instanceof Promise) return r.then(() => this.committed());
    this.committed();
  }

  private committed(): void {
    const m = this.ch.meter;
    if (this.putBatches > 0) {
      m.batches += this.putBatches;
      m.eventsIn += this.putEvents;
      m.bytes += this.putBytes;
      m.latency(performance.now() - this.began);
    }
    m.eventsOut += this.taken;
    m.bytesOut += this.takenBytes;
  }

  rollback(): void | Promise<void> {
    return this.tx.rollback();
  }

  close(): void {
    if (this.counted) {
      this.counted = false;
      this.ch.open--;
    }
    this.tx.close();
  }
}
