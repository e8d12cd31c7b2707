import type { NgSourceDef } from '../catalog/ng.js';
import { type Batch, Event, localHost, nowNanos } from '../core/event.js';
import type { EventSource } from '../core/pipeline.js';
import { Priority } from '../core/priority.js';

/** Flume NG's sequence generator: bodies "0", "1", ... up to totalEvents, in batches. */
export class SeqSource implements EventSource {
  private next_ = 0;
  private closed = false;
  constructor(
    private readonly total: number,
    private readonly batchSize: number,
  ) {}
  async open(): Promise<void> {}
  next(): Batch | null {
    if (this.closed || this.next_ >= this.total) return null;
    const n = Math.min(this.batchSize, this.total - this.next_);
    const ts = Date.now();
    const host = localHost();
    const nanos = nowNanos();
    const out: Batch = new Array(n);
    for (let i = 0; i < n; i++)
      out[i] = new Event(Buffer.from(String(this.next_ + i)), ts, Priority.INFO, nanos + i, host);
    this.next_ += n;
    return out;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export const seqSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'seq',
  docs: 'Generates events whose bodies count up from 0 (Flume NG seq source); finite with totalEvents.',
  properties: [
    {
      name: 'totalEvents',
      type: 'int',
      default: String(Number.MAX_SAFE_INTEGER),
      min: 0,
      docs: 'How many events to generate.',
    },
    { name: 'batchSize', type: 'int', default: '100', min: 1, docs: 'Events per batch.' },
  ],
  create: (p) => new SeqSource(p.int('totalEvents'), p.int('batchSize')),
};
