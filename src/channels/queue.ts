import type { Batch, Event } from '../core/event.js';

/**
 * A run: a slice `events[head, end)` of one committed put, queued as is (never copied per event).
 * `pos` and `first` give every event a durable identity for the file channel, (pos, first + i) for
 * `events[i]`: pos is the log position of the put record, first the index of events[0] in it.
 * The memory channel uses pos -1.
 */
export interface Run {
  events: Event[];
  head: number;
  end: number;
  pos: number;
  first: number;
}

/** What a take removed from one run: enough to log the take and to put it back on rollback. */
export type Piece = Run;

/** The FIFO of committed events, held as runs in a deque. */
export class RunQueue {
  private runs: (Run | undefined)[] = [];
  private h = 0;
  /** Events in the queue. */
  count = 0;

  push(events: Event[], pos = -1, first = 0, head = 0, end = events.length): void {
    if (end <= head) return;
    this.runs.push({ events, head, end, pos, first });
    this.count += end - head;
  }

  /** Puts pieces back at the head, keeping their order: the first piece becomes the new head. */
  unshift(pieces: readonly Piece[]): void {
    for (let i = pieces.length - 1; i >= 0; i--) {
      const p = pieces[i]!;
      const run = { events: p.events, head: p.head, end: p.end, pos: p.pos, first: p.first };
      if (this.h > 0) this.runs[--this.h] = run;
      else this.runs.unshift(run);
      this.count += p.end - p.head;
    }
  }

  /** Removes up to `max` events from the head into a fresh array, recording the pieces in `pieces`. */
  take(max: number, pieces: Piece[]): Batch {
    if (this.count === 0 || max <= 0) return [];
    const first = this.runs[this.h]!;
    const n0 = first.end - first.head;
    if (n0 >= max || this.count === n0) {
      // The common case: the batch comes from one run.
      const k = Math.min(n0, max);
      const out = first.events.slice(first.head, first.head + k);
      pieces.push({
        events: first.events,
        head: first.head,
        end: first.head + k,
        pos: first.pos,
        first: first.first,
      });
      this.advance(first, k);
      return out;
    }
    const out: Event[] = [];
    let left = max;
    while (left > 0 && this.count > 0) {
      const r = this.runs[this.h]!;
      const k = Math.min(r.end - r.head, left);
      for (let i = r.head; i < r.head + k; i++) out.push(r.events[i]!);
      pieces.push({ events: r.events, head: r.head, end: r.head + k, pos: r.pos, first: r.first });
      this.advance(r, k);
      left -= k;
    }
    return out;
  }

  /** The queued runs from head to tail (for checkpoints); do not modify them. */
  *entries(): IterableIterator<Run> {
    for (let i = this.h; i < this.runs.length; i++) yield this.runs[i]!;
  }

  clear(): void {
    this.runs = [];
    this.h = 0;
    this.count = 0;
  }

  private advance(r: Run, k: number): void {
    r.head += k;
    this.count -= k;
    if (r.head < r.end) return;
    this.runs[this.h++] = undefined;
    if (this.h === this.runs.length) {
      this.runs = [];
      this.h = 0;
    } else if (this.h > 1024 && this.h * 2 > this.runs.length) {
      this.runs = this.runs.slice(this.h);
      this.h = 0;
    }
  }
}
