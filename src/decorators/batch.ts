import type { DecoratorDef } from '../catalog/types.js';
import type { Batch, Event } from '../core/event.js';
import { encodeEvents } from '../core/eventcodec.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { atLeast } from './args.js';
import { BATCH_ATTR, u32, wrapperEvent } from './markers.js';

/**
 * Packs every n events into one aggregate event (body: the encoded events; attribute batchSize). With
 * maxLatency > 0 a partial aggregate leaves at most maxLatency ms after its first event arrived.
 *
 * The timer may fire while an append to the child is still pending; `inflight` serializes the two so
 * the child never sees overlapping appends. A failure of a timer-driven append has no caller to go
 * to, so it is kept and thrown by the next append, flush or close.
 */
export class BatchSink extends DecoratorSink {
  private buf: Event[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    child: EventSink,
    private readonly size: number,
    private readonly maxLatency: number,
  ) {
    super(child);
  }

  append(batch: Batch): void | Promise<void> {
    if (this.failure !== undefined) return this.rethrow();
    if (this.inflight) return this.inflight.then(() => this.append(batch));
    const size = this.size;
    let out: Event[] | undefined;
    let i = 0;
    // Whole aggregates straight from the input when nothing is buffered: no copying into `buf`.
    if (this.buf.length > 0) {
      const take = Math.min(size - this.buf.length, batch.length);
      for (; i < take; i++) this.buf.push(batch[i]!);
      if (this.buf.length === size) {
        out = [aggregate(this.buf)];
        this.buf = [];
      }
    }
    for (; batch.length - i >= size; i += size) {
      (out ??= []).push(aggregate(batch.slice(i, i + size)));
    }
    for (; i < batch.length; i++) this.buf.push(batch[i]!);
    this.schedule();
    return out ? this.send(out) : undefined;
  }

  override flush(): Promise<void> {
    return this.drain().then(() => super.flush());
  }

  override close(): Promise<void> {
    this.cancelTimer();
    return this.drain().then(
      () => super.close(),
      (e: unknown) =>
        super.close().then(
          () => Promise.reject(e),
          () => Promise.reject(e),
        ),
    );
  }

  /** Sends whatever is buffered as one (partial) aggregate, after any pending append. */
  private drain(): Promise<void> {
    if (this.failure !== undefined) return this.rethrow();
    if (this.inflight) return this.inflight.then(() => this.drain());
    this.cancelTimer();
    if (this.buf.length === 0) return Promise.resolve();
    const events = this.buf;
    this.buf = [];
    // Called from a timer too: a synchronous throw must become a rejection, never an uncaught error.
    try {
      return this.send([aggregate(events)]) ?? Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private send(out: Event[]): void | Promise<void> {
    const r = this.child.append(out);
    if (!r) return;
    const p: Promise<void> = r.finally(() => {
      if (this.inflight === p) this.inflight = undefined;
    });
    this.inflight = p;
    return p;
  }

  private schedule(): void {
    if (this.maxLatency <= 0) return;
    if (this.buf.length === 0) this.cancelTimer();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain().catch((e: unknown) => {
          this.failure ??= e;
        });
      }, this.maxLatency);
    }
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private rethrow(): Promise<never> {
    const e = this.failure;
    this.failure = undefined;
    return Promise.reject(e);
  }
}

function aggregate(events: Event[]): Event {
  const e = wrapperEvent(encodeEvents(events));
  e.setAttr(BATCH_ATTR, u32(events.length));
  return e;
}

export const batchDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'batch',
  docs:
    'Buffers n events and sends them on as one aggregate event (undo with unbatch). When maxlatency ' +
    'milliseconds pass after the first buffered event, the events buffered so far are sent as a smaller ' +
    'aggregate. Flush and close send a partial aggregate too.',
  params: [
    { name: 'n', type: 'int', docs: 'Events per aggregate event.' },
    {
      name: 'maxlatency',
      type: 'int',
      optional: true,
      default: 0,
      docs: 'Longest time in ms an event waits in a partial aggregate; 0 waits for n events, flush or close.',
    },
  ],
  build: (args, _ctx, child) =>
    new BatchSink(
      child,
      atLeast(args.component, 'n', args.int('n'), 1),
      atLeast(args.component, 'maxlatency', args.optInt('maxlatency') ?? 0, 0),
    ),
};
