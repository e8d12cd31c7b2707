import { SluiceError } from '../../src/core/errors.js';
import type { Batch } from '../../src/core/event.js';
import { Event } from '../../src/core/event.js';
import type { EventSource } from '../../src/core/pipeline.js';

/** A finite source of numbered events ("0", "1", ...) in batches of `batchSize`. */
export class CountingSource implements EventSource {
  private sent = 0;
  opened = false;
  closed = false;
  constructor(
    private readonly total: number,
    private readonly batchSize = 10,
  ) {}
  async open(): Promise<void> {
    this.opened = true;
  }
  next(): Batch | null {
    if (this.closed || this.sent >= this.total) return null;
    const n = Math.min(this.batchSize, this.total - this.sent);
    const out: Batch = [];
    for (let i = 0; i < n; i++) out.push(Event.of(String(this.sent++), { timestamp: 0 }));
    return out;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** An endless source that yields nothing until closed: a tripwire for clean shutdown. */
export class EndlessSource implements EventSource {
  private wake: (() => void) | undefined;
  closed = false;
  async open(): Promise<void> {}
  next(): Promise<Batch | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.wake = () => resolve(null);
    });
  }
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
  }
}

/** A source whose next() fails after `after` batches. */
export class FailingSource extends CountingSource {
  private calls = 0;
  constructor(private readonly after: number) {
    super(1_000_000, 1);
  }
  override next(): Batch | null {
    if (this.calls++ >= this.after) throw new SluiceError('SLUICE_IO', 'source broke');
    return super.next();
  }
}
