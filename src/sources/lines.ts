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

/**
 * Rewrites the lines whose bytes cannot become bodies as they are: spooldir's inputCharset,
 * decodeErrorPolicy and maxLineLength. The splitter asks once per chunk whether its complete lines
 * pass, so a plain chunk costs one check, not one per line.
 */
export interface LineRecoder {
  /** Lines of more bytes than this always go through `recode` (they may need cutting). */
  readonly passMax: number;
  /** True when the complete lines in chunk[start, end) may become bodies unchanged. */
  passes(chunk: Buffer, start: number, end: number): boolean;
  /**
   * The bodies the next bytes of a line become. `last` is false for the part of a line that reached
   * the hold limit and goes on (a recoder keeps what it cannot cut yet), true for its end.
   * `lineStart` is the offset where the line starts (for error messages). May throw.
   */
  recode(bytes: Buffer, last: boolean, lineStart: number): readonly Buffer[];
  /** Forgets a line in progress: the splitter moved to another offset. */
  reset(): void;
}

export interface LineOptions {
  /** Drop one '\r' before each '\n' (CRLF input). Off by default: bodies keep every byte but '\n'. */
  stripCr?: boolean;
  /** Attributes stamped on every event (e.g. tailSrcFile); each event gets its own array. */
  attrs?: ReadonlyArray<readonly [string, Buffer]>;
  recoder?: LineRecoder;
}

/**
 * The one line reader of every line source: turns Buffer chunks into one event per '\n'-terminated
 * line, without decoding text. Bodies are ranges of the chunks (`Event.fromChunk`; callers hand over
 * chunks they will not reuse). A line cut by a chunk border is held until its newline arrives. One
 * timestamp and nanos base serve a whole chunk; nanos rise by one per line so events of a chunk keep a
 * strict order.
 *
 * Positions: the splitter counts the bytes pushed since its start or the last `seek`, so a file source
 * knows the offset after each line (`ends`, one per event) and where an unfinished line starts
 * (`lineStart`): what it saves once a batch is acked and where it reads again after a failure.
 *
 * A held partial line keeps at most `limits.maxBodySize + 1` bytes: the rest could never reach an
 * event (Event truncates bodies and counts it), so an endless line cannot exhaust memory. With a
 * recoder the held bytes go to the recoder instead, which cuts them into pieces (nothing is dropped).
 */
export class LineSplitter {
  private readonly stripCr: boolean;
  private readonly recoder: LineRecoder | undefined;
  private attrs: ReadonlyArray<readonly [string, Buffer]> | undefined;
  private parts: Buffer[] = [];
  private held = 0;
  /** A line's first parts went through the recoder: its end must go there too. */
  private recoding = false;
  private pos = 0;
  private start = 0;

  constructor(opts: LineOptions = {}) {
    this.stripCr = opts.stripCr ?? false;
    this.recoder = opts.recoder;
    this.setAttrs(opts.attrs);
  }

  /** Bytes of an unfinished last line being held. */
  get holding(): number {
    return this.held;
  }

  /** The offset after the last byte pushed. */
  get position(): number {
    return this.pos;
  }

  /** The offset where the unfinished line starts (`position` when none is held). */
  get lineStart(): number {
    return this.start;
  }

  /** Attributes for the events made from now on (a followed file got a new name). */
  setAttrs(attrs: ReadonlyArray<readonly [string, Buffer]> | undefined): void {
    this.attrs = attrs && attrs.length > 0 ? attrs : undefined;
  }

  /**
   * Splits `chunk` into `out`. With `ends`, pushes for each event the offset a reader resumes from
   * once that event is safe: after its line, or the line's start for a piece of a cut line but its last.
   */
  push(chunk: Buffer, out: Event[], ends?: number[]): void {
    const base = this.pos;
    this.pos = base + chunk.length;
    let nl = chunk.indexOf(NL);
    if (nl < 0) {
      this.hold(chunk, out, ends);
      return;
    }
    const ts = Date.now();
    const host = localHost();
    let nanos = nowNanos();
    let start = 0;
    if (this.held > 0 || this.recoding) {
      this.hold(chunk.subarray(0, nl), out, ends);
      nanos = this.endHeld(out, ends, base + nl + 1, ts, nanos, host);
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    const rec = this.recoder;
    const plain = rec === undefined || nl < 0 || rec.passes(chunk, start, chunk.lastIndexOf(NL));
    while (nl >= 0) {
      let end = nl;
      if (this.stripCr && end > start && chunk[end - 1] === CR) end--;
      if (rec !== undefined && (!plain || end - start > rec.passMax)) {
        this.start = base + start;
        nanos = this.pieces(
          rec.recode(chunk.subarray(start, end), true, base + start),
          base + nl + 1,
          out,
          ends,
          ts,
          nanos,
          host,
        );
      } else {
        out.push(Event.fromChunk(chunk, start, end, ts, Priority.INFO, nanos++, host, this.attrArray()));
        if (ends !== undefined) ends.push(base + nl + 1);
      }
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    this.start = base + start;
    if (start < chunk.length) this.hold(chunk.subarray(start), out, ends);
  }

  /** Emits the held partial line, if any, as a last event (end of a finite input, a rotated file). */
  flush(out: Event[], ends?: number[]): void {
    if (this.held === 0 && !this.recoding) return;
    this.endHeld(out, ends, this.pos, Date.now(), nowNanos(), localHost());
    this.start = this.pos;
  }

  /** Forgets the held partial line. */
  discard(): void {
    this.seek(this.pos);
  }

  /** Forgets the held partial line and counts on from `pos` (a file read again from there). */
  seek(pos: number): void {
    this.parts = [];
    this.held = 0;
    this.recoding = false;
    this.recoder?.reset();
    this.pos = pos;
    this.start = pos;
  }

  private hold(piece: Buffer, out: Event[], ends: number[] | undefined): void {
    if (piece.length === 0) return;
    const room = limits.maxBodySize + 1 - this.held;
    const rec = this.recoder;
    if (rec !== undefined && piece.length >= room) {
      // An over-long line goes to the recoder part by part, so it is cut into pieces and none is lost.
      this.parts.push(piece);
      this.held += piece.length;
      const bytes = this.takeHeld();
      this.recoding = true;
      this.pieces(
        rec.recode(bytes, false, this.start),
        undefined,
        out,
        ends,
        Date.now(),
        nowNanos(),
        localHost(),
      );
      return;
    }
    if (room <= 0) return;
    const p = piece.length > room ? piece.subarray(0, room) : piece;
    this.parts.push(p);
    this.held += p.length;
  }

  /** Ends the held line at offset `end` (after its '\n', or the end of input); returns the next nanos. */
  private endHeld(
    out: Event[],
    ends: number[] | undefined,
    end: number,
    ts: number,
    nanos: number,
    host: string,
  ): number {
    let body = this.takeHeld();
    if (this.stripCr && body.length > 0 && body[body.length - 1] === CR)
      body = body.subarray(0, body.length - 1);
    const rec = this.recoder;
    if (
      rec !== undefined &&
      (this.recoding || body.length > rec.passMax || !rec.passes(body, 0, body.length))
    ) {
      this.recoding = false;
      return this.pieces(rec.recode(body, true, this.start), end, out, ends, ts, nanos, host);
    }
    out.push(this.make(body, ts, nanos, host));
    if (ends !== undefined) ends.push(end);
    return nanos + 1;
  }

  /**
   * Events for the bodies a recoder made of a line. Only the last body of a line's end resumes after
   * the line (`end`); any other resumes at the line's start, so a restart reads the whole line again.
   */
  private pieces(
    bodies: readonly Buffer[],
    end: number | undefined,
    out: Event[],
    ends: number[] | undefined,
    ts: number,
    nanos: number,
    host: string,
  ): number {
    const n = bodies.length;
    for (let i = 0; i < n; i++) {
      out.push(this.make(bodies[i]!, ts, nanos++, host));
      if (ends !== undefined) ends.push(end !== undefined && i === n - 1 ? end : this.start);
    }
    return nanos;
  }

  private takeHeld(): Buffer {
    const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    return body;
  }

  private attrArray(): (string | Buffer)[] | undefined {
    const attrs = this.attrs;
    if (attrs === undefined) return undefined;
    const kv: (string | Buffer)[] = [];
    for (let i = 0; i < attrs.length; i++) kv.push(attrs[i]![0], attrs[i]![1]);
    return kv;
  }

  private make(body: Buffer, ts: number, nanos: number, host: string): Event {
    const kv = this.attrArray();
    return kv === undefined
      ? new Event(body, ts, Priority.INFO, nanos, host)
      : Event.withAttrs(body, ts, Priority.INFO, nanos, host, kv);
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
