import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { view } from './buffers.js';
import { Priority } from './priority.js';

/**
 * The one event type of Sluice (Flume OG's data model, also carried by NG headers):
 * body bytes, a millisecond timestamp, a machine nanosecond counter, a priority, the source host and
 * attributes (string -> bytes).
 *
 * Ownership: an event belongs to one path through a flow at a time and decorators may change it in
 * place. Fanout hands every branch but the last its own copy (`Event.copy`), so branches never see
 * each other's changes.
 */
export class Event {
  /** The body once it is a Buffer of its own (always, except for lines not looked at yet). */
  private b: Buffer | undefined;
  /**
   * A line source's body not cut yet: bytes [start, end) of the chunk it was read in. Most stages never
   * look at a body as a Buffer (a regex reads it as text, a file sink copies its bytes), and cutting a
   * Buffer view costs more than anything else a line source does per line; `body` cuts it on demand.
   */
  private chunk: Buffer | undefined;
  private start: number;
  private end: number;
  timestamp: number;
  nanos: number;
  priority: Priority;
  host: string;
  /**
   * Attributes as alternating names and values, created on the first one. Events carry a handful at
   * most, where a linear scan beats a Map and an array costs one small allocation instead of a hash
   * table per event.
   */
  private kv: (string | Buffer)[] | undefined;

  constructor(
    body: Buffer,
    timestamp: number = Date.now(),
    priority: Priority = Priority.INFO,
    nanos: number = nowNanos(),
    host: string = localHost(),
    attrs?: Map<string, Buffer>,
  ) {
    this.b = body.length > limits.floor && body.length > limits.maxBodySize ? truncate(body) : body;
    this.chunk = undefined;
    this.start = 0;
    this.end = 0;
    this.timestamp = timestamp;
    this.nanos = nanos;
    this.priority = priority;
    this.host = host;
    if (attrs && attrs.size > 0) {
      const kv: (string | Buffer)[] = [];
      for (const [k, v] of attrs) kv.push(k, v);
      this.kv = kv;
    }
  }

  /**
   * An event that adopts `kv` (alternating names and values, names distinct) as its attributes without
   * checking or copying: for decoders on hot paths, whose array literal is sized exactly once. The
   * caller hands the array over and keeps no reference to it.
   */
  static withAttrs(
    body: Buffer,
    timestamp: number,
    priority: Priority,
    nanos: number,
    host: string,
    kv: (string | Buffer)[],
  ): Event {
    const e = new Event(body, timestamp, priority, nanos, host);
    if (kv.length > 0) e.kv = kv;
    return e;
  }

  /** An event whose body is bytes [start, end) of `chunk` (line sources; the chunk is never reused). */
  static fromChunk(
    chunk: Buffer,
    start: number,
    end: number,
    timestamp: number,
    priority: Priority,
    nanos: number,
    host: string,
    kv?: (string | Buffer)[],
  ): Event {
    const e = new Event(EMPTY, timestamp, priority, nanos, host);
    if (end - start > limits.floor) {
      const max = limits.maxBodySize;
      if (end - start > max) {
        eventCounters.truncated++;
        end = start + max;
      }
    }
    e.b = undefined;
    e.chunk = chunk;
    e.start = start;
    e.end = end;
    if (kv !== undefined && kv.length > 0) e.kv = kv;
    return e;
  }

  get body(): Buffer {
    const b = this.b;
    if (b !== undefined) return b;
    const cut = view(this.chunk!, this.start, this.end);
    this.b = cut;
    this.chunk = undefined;
    return cut;
  }

  set body(body: Buffer) {
    this.b = body;
    this.chunk = undefined;
  }

  get bodyLength(): number {
    return this.b !== undefined ? this.b.length : this.end - this.start;
  }

  /** Copies the body into `out` at `offset` and returns its length, without cutting a Buffer for it. */
  copyBodyTo(out: Uint8Array, offset: number): number {
    const b = this.b;
    if (b !== undefined) {
      out.set(b, offset);
      return b.length;
    }
    const c = this.chunk!;
    return c.copy(out, offset, this.start, this.end);
  }

  /** The body as UTF-8 text, decoded straight from its chunk when it was never cut. */
  bodyText(): string {
    const b = this.b;
    return b !== undefined
      ? utf8Slice.call(b, 0, b.length)
      : utf8Slice.call(this.chunk!, this.start, this.end);
  }

  static of(body: string | Buffer, fields: Partial<EventFields> = {}): Event {
    const e = new Event(
      typeof body === 'string' ? Buffer.from(body) : body,
      fields.timestamp ?? Date.now(),
      fields.priority ?? Priority.INFO,
      fields.nanos ?? nowNanos(),
      fields.host ?? localHost(),
    );
    if (fields.attrs) for (const [k, v] of Object.entries(fields.attrs)) e.setAttr(k, v);
    return e;
  }

  getAttr(name: string): Buffer | undefined {
    const kv = this.kv;
    if (kv === undefined) return undefined;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === name) return kv[i + 1] as Buffer;
    return undefined;
  }

  /** The attribute as UTF-8 text, or undefined. */
  getAttrString(name: string): string | undefined {
    return this.getAttr(name)?.toString('utf8');
  }

  hasAttr(name: string): boolean {
    return this.getAttr(name) !== undefined;
  }

  /**
   * Writes an attribute unless it was already written upstream: Flume's invariant that a downstream
   * stage never changes what an upstream stage recorded. Returns false (and changes nothing) then.
   */
  setAttr(name: string, value: Buffer | string): boolean {
    const v = typeof value === 'string' ? Buffer.from(value) : value;
    const kv = this.kv;
    if (kv === undefined) {
      this.kv = [name, v];
      return true;
    }
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === name) return false;
    kv.push(name, v);
    return true;
  }

  /**
   * Gives an event without attributes these (alternating names and values, names distinct), adopting
   * the array without checks or copies: one exact allocation for stages that tag every event of a
   * batch (ack groups), where two setAttr calls grow an array. False, changing nothing, when the event
   * has attributes.
   */
  adoptAttrs(kv: (string | Buffer)[]): boolean {
    if (this.kv !== undefined && this.kv.length > 0) return false;
    this.kv = kv;
    return true;
  }

  /** Removes an attribute: only projections (select, mask) and protocol adapters do this. */
  deleteAttr(name: string): void {
    const kv = this.kv;
    if (kv === undefined) return;
    for (let i = 0; i < kv.length; i += 2)
      if (kv[i] === name) {
        kv.splice(i, 2);
        return;
      }
  }

  attrNames(): string[] {
    const kv = this.kv;
    const out: string[] = [];
    if (kv) for (let i = 0; i < kv.length; i += 2) out.push(kv[i] as string);
    return out;
  }

  /**
   * The name of attribute `i` (0 <= i < attrCount). With attrValue, encoders iterate attributes without
   * an array per event (attrEntries makes one): `for (let i = 0; i < e.attrCount; i++)`.
   */
  attrName(i: number): string {
    return this.kv![2 * i] as string;
  }

  /** The value of attribute `i` (0 <= i < attrCount). */
  attrValue(i: number): Buffer {
    return this.kv![2 * i + 1] as Buffer;
  }

  /** A fresh array of [name, value] pairs: for tests and cold paths (encoders use attrName/attrValue). */
  attrEntries(): [string, Buffer][] {
    const kv = this.kv;
    const out: [string, Buffer][] = [];
    if (kv) for (let i = 0; i < kv.length; i += 2) out.push([kv[i] as string, kv[i + 1] as Buffer]);
    return out;
  }

  get attrCount(): number {
    return this.kv ? this.kv.length / 2 : 0;
  }

  /** A copy with its own attribute map; the body buffer is shared (bodies are never mutated). */
  copy(): Event {
    const e =
      this.b !== undefined
        ? this.withBody(this.b)
        : Event.fromChunk(
            this.chunk!,
            this.start,
            this.end,
            this.timestamp,
            this.priority,
            this.nanos,
            this.host,
          );
    if (this.b === undefined && this.kv) e.kv = this.kv.slice();
    return e;
  }

  /** Same fields with another body (format, unbatch, gunzip ...). */
  withBody(body: Buffer): Event {
    const e = new Event(body, this.timestamp, this.priority, this.nanos, this.host);
    if (this.kv) e.kv = this.kv.slice();
    return e;
  }
}

export interface EventFields {
  timestamp: number;
  priority: Priority;
  nanos: number;
  host: string;
  attrs: Record<string, string | Buffer>;
}

/** The site limits of one node (from its site configuration). */
export interface SiteLimits {
  /** Flume's `flume.event.max.size.bytes`. */
  maxBodySize: number;
}

const nodeLimits = new AsyncLocalStorage<SiteLimits>();

/**
 * Flume's `flume.event.max.size.bytes`. Each node host runs its pipelines inside `withSiteLimits`, so
 * two nodes of one process may cut bodies at different sizes; outside any node the process value
 * (set from the site configuration at start-up) applies. `floor` is the smallest limit in use: a body
 * no longer than it is never cut, so the common case costs one comparison and no context lookup.
 */
class Limits {
  private processMax = 32 * 1024;
  floor = 32 * 1024;

  get maxBodySize(): number {
    return nodeLimits.getStore()?.maxBodySize ?? this.processMax;
  }

  set maxBodySize(bytes: number) {
    this.processMax = bytes;
    this.floor = Math.min(this.floor, bytes);
  }

  /** The limit outside any node's context. */
  get processLimit(): number {
    return this.processMax;
  }

  /** Lets a node's limit take part in `floor`. */
  admit(bytes: number): void {
    this.floor = Math.min(this.floor, bytes);
  }
}

export const limits = new Limits();

/**
 * Runs `fn` (and everything it starts: reads, connections, timers) under a node's site limits. A node
 * whose limit is the process's (the usual case: one site configuration per process) runs `fn` as it
 * is: an AsyncLocalStorage context makes Node track every promise of the process (2-3x the cost of an
 * await), which only nodes that differ need.
 */
export function withSiteLimits<T>(site: SiteLimits, fn: () => T): T {
  limits.admit(site.maxBodySize);
  if (nodeLimits.getStore() === undefined && site.maxBodySize === limits.processLimit) return fn();
  return nodeLimits.run(site, fn);
}

/** How many bodies were cut to `limits.maxBodySize` in this process (shown in node reports). */
export const eventCounters = { truncated: 0 };

function truncate(body: Buffer): Buffer {
  eventCounters.truncated++;
  // A copy, not a view: the cut body must not keep the whole (possibly many-MiB) frame it came in alive.
  return Buffer.from(body.subarray(0, limits.maxBodySize));
}

let cachedHost: string | undefined;

/**
 * The attributes as Java prints a Map of strings (`k=v, k2=v2`, values read as UTF-8), the way Flume NG's
 * logger sink and HEADER_AND_TEXT serializer show headers.
 */
export function attrsAsJavaMap(e: Event): string {
  let out = '';
  for (let i = 0; i < e.attrCount; i++) {
    out += `${i === 0 ? '' : ', '}${e.attrName(i)}=${e.attrValue(i).toString('utf8')}`;
  }
  return out;
}

/** The host name stamped on locally created events (`hostname` in Flume), read once. */
export function localHost(): string {
  if (cachedHost === undefined) cachedHost = hostname();
  return cachedHost;
}

/**
 * A monotonic nanosecond counter like Java's System.nanoTime (origin: machine boot). A double holds
 * it exactly for about 104 days of uptime; after that the low bits round, which still keeps order.
 */
export function nowNanos(): number {
  return Number(process.hrtime.bigint());
}

/** Node's own decoder, which Buffer#toString reaches only after an encoding lookup per call. */
const utf8Slice = (
  Buffer.prototype as unknown as { utf8Slice(this: Uint8Array, start: number, end: number): string }
).utf8Slice;

/**
 * A body as text for matching (regex, split). Measured on 80-byte log lines: the direct UTF-8 decoder
 * (V8 takes an ASCII fast path inside it) costs less than an ASCII check plus a latin1 decode, and
 * less than toString's dispatch; a per-batch ASCII check costs more than it saves, since reading a
 * view's ArrayBuffer crosses into C++ per event.
 */
export function bodyText(body: Buffer): string {
  // One function called directly: bodies are Buffers of two classes (Node's and core/buffers.ts views),
  // which would make a method lookup polymorphic.
  return utf8Slice.call(body, 0, body.length);
}

/** The bodies of a batch as text, in order. */
export function bodyTexts(batch: Batch): string[] {
  const n = batch.length;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = batch[i]!.bodyText();
  return out;
}

const EMPTY = Buffer.alloc(0);

/** Events move in arrays: a batch. A single event is a batch of one. */
export type Batch = Event[];
