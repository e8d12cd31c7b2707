import type { Batch } from '../core/event.js';
import { Event, limits, localHost, nowNanos } from '../core/event.js';
import { Priority } from '../core/priority.js';

/** How many events a line source hands out per `next()`. */
export const MAX_BATCH = 1000;
/** Line sources read this much per system call. */
export const CHUNK_SIZE = 256 * 1024;

const NL = 0x0a;
const CR = 0x0d;

/**
 * Events ready to be handed out, in order. Producers push onto `items`; `take` hands out slices of at
 * most `max` events without shifting the array (a read index keeps it O(n) overall).
 */
export class EventQueue {
  items: Event[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  take(max: number = MAX_BATCH): Batch | null {
    const n = this.items.length - this.head;
    if (n <= 0) return null;
    if (this.head === 0 && n <= max) {
      const all = this.items;
      this.items = [];
      return all;
    }
    const end = this.head + Math.min(n, max);
    const batch = this.items.slice(this.head, end);
    if (end === this.items.length) {
      this.items = [];
      this.head = 0;
    } else {
      this.head = end;
    }
    return batch;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export interface LineOptions {
  /** Drop one '\r' before each '\n' (CRLF input). Off by default: bodies keep every byte but '\n'. */
  stripCr?: boolean;
  /** Attributes stamped on every event (e.g. tailSrcFile); each event gets its own map. */
  attrs?: ReadonlyArray<readonly [string, Buffer]>;
}

/**
 * Turns Buffer chunks into one event per '\n'-terminated line, without decoding text: bodies are
 * views into the chunks (callers hand over chunks they will not reuse). A line cut by a chunk border
 * is held until its newline arrives. One timestamp and nanos base serve a whole chunk; nanos rise by
 * one per line so events of a chunk keep a strict order.
 *
 * A held partial line keeps at most `limits.maxBodySize + 1` bytes: the rest could never reach an
 * event (Event truncates bodies and counts it), so an endless line cannot exhaust memory.
 */
export class LineSplitter {
  private readonly stripCr: boolean;
  private readonly attrs: ReadonlyArray<readonly [string, Buffer]> | undefined;
  private parts: Buffer[] = [];
  private held = 0;

  constructor(opts: LineOptions = {}) {
    this.stripCr = opts.stripCr ?? false;
    this.attrs = opts.attrs && opts.attrs.length > 0 ? opts.attrs : undefined;
  }

  /** Bytes of an unfinished last line being held. */
  get holding(): number {
    return this.held;
  }

  push(chunk: Buffer, out: Event[]): void {
    let nl = chunk.indexOf(NL);
    if (nl < 0) {
      this.hold(chunk);
      return;
    }
    const ts = Date.now();
    const host = localHost();
    let nanos = nowNanos();
    let start = 0;
    if (this.held > 0) {
      this.hold(chunk.subarray(0, nl));
      out.push(this.make(this.takeHeld(), ts, nanos++, host));
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    while (nl >= 0) {
      out.push(this.line(chunk, start, nl, ts, nanos++, host));
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    if (start < chunk.length) this.hold(chunk.subarray(start));
  }

  /** Emits the held partial line, if any, as a last event (end of a finite input, a rotated file). */
  flush(out: Event[]): void {
    if (this.held === 0) return;
    out.push(this.make(this.takeHeld(), Date.now(), nowNanos(), localHost()));
  }

  /** Forgets the held partial line. */
  discard(): void {
    this.parts = [];
    this.held = 0;
  }

  private hold(piece: Buffer): void {
    const room = limits.maxBodySize + 1 - this.held;
    if (room <= 0 || piece.length === 0) return;
    const p = piece.length > room ? piece.subarray(0, room) : piece;
    this.parts.push(p);
    this.held += p.length;
  }

  private takeHeld(): Buffer {
    const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    return body;
  }

  /** A line still inside its chunk: the event cuts its body only if a stage asks for a Buffer. */
  private line(chunk: Buffer, start: number, end: number, ts: number, nanos: number, host: string): Event {
    if (this.stripCr && end > start && chunk[end - 1] === CR) end--;
    return Event.fromChunk(chunk, start, end, ts, Priority.INFO, nanos, host, this.attrArray());
  }

  private attrArray(): (string | Buffer)[] | undefined {
    const attrs = this.attrs;
    if (attrs === undefined) return undefined;
    const kv: (string | Buffer)[] = [];
    for (let i = 0; i < attrs.length; i++) kv.push(attrs[i]![0], attrs[i]![1]);
    return kv;
  }

  private make(body: Buffer, ts: number, nanos: number, host: string): Event {
    if (this.stripCr && body.length > 0 && body[body.length - 1] === CR)
      body = body.subarray(0, body.length - 1);
    const attrs = this.attrs;
    if (attrs === undefined) return new Event(body, ts, Priority.INFO, nanos, host);
    const m = new Map<string, Buffer>();
    for (let i = 0; i < attrs.length; i++) m.set(attrs[i]![0], attrs[i]![1]);
    return new Event(body, ts, Priority.INFO, nanos, host, m);
  }
}

/**
 * A buffer for one read of up to CHUNK_SIZE bytes, and the chunk to hand to a splitter afterwards.
 * Events keep views into their chunk, so a short read is copied out (a 20-byte append must not pin a
 * whole chunk per event downstream) and the scratch buffer is reused; a long read hands the buffer
 * itself over and a fresh one is allocated.
 */
export class ChunkReader {
  private scratch: Buffer = Buffer.allocUnsafe(CHUNK_SIZE);

  get buffer(): Buffer {
    return this.scratch;
  }

  /** The chunk holding the `n` bytes just read into `buffer`. */
  chunk(n: number): Buffer {
    if (n < CHUNK_SIZE / 4) return Buffer.from(this.scratch.subarray(0, n));
    const c = this.scratch.subarray(0, n);
    this.scratch = Buffer.allocUnsafe(CHUNK_SIZE);
    return c;
  }
}
