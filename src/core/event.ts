import { hostname } from 'node:os';
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
  body: Buffer;
  timestamp: number;
  nanos: number;
  priority: Priority;
  host: string;
  /** Created on the first attribute: most events on the hot path never carry any. */
  private attrs: Map<string, Buffer> | undefined;

  constructor(
    body: Buffer,
    timestamp: number = Date.now(),
    priority: Priority = Priority.INFO,
    nanos: number = nowNanos(),
    host: string = localHost(),
    attrs?: Map<string, Buffer>,
  ) {
    this.body = body.length > limits.maxBodySize ? truncate(body) : body;
    this.timestamp = timestamp;
    this.nanos = nanos;
    this.priority = priority;
    this.host = host;
    this.attrs = attrs && attrs.size > 0 ? attrs : undefined;
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
    return this.attrs?.get(name);
  }

  /** The attribute as UTF-8 text, or undefined. */
  getAttrString(name: string): string | undefined {
    return this.attrs?.get(name)?.toString('utf8');
  }

  hasAttr(name: string): boolean {
    return this.attrs?.has(name) ?? false;
  }

  /**
   * Writes an attribute unless it was already written upstream: Flume's invariant that a downstream
   * stage never changes what an upstream stage recorded. Returns false (and changes nothing) then.
   */
  setAttr(name: string, value: Buffer | string): boolean {
    if (this.attrs === undefined) this.attrs = new Map();
    else if (this.attrs.has(name)) return false;
    this.attrs.set(name, typeof value === 'string' ? Buffer.from(value) : value);
    return true;
  }

  /** Removes an attribute: only projections (select, mask) and protocol adapters do this. */
  deleteAttr(name: string): void {
    this.attrs?.delete(name);
  }

  attrNames(): string[] {
    return this.attrs ? [...this.attrs.keys()] : [];
  }

  attrEntries(): IterableIterator<[string, Buffer]> | [string, Buffer][] {
    return this.attrs ? this.attrs.entries() : [];
  }

  get attrCount(): number {
    return this.attrs?.size ?? 0;
  }

  /** A copy with its own attribute map; the body buffer is shared (bodies are never mutated). */
  copy(): Event {
    return new Event(
      this.body,
      this.timestamp,
      this.priority,
      this.nanos,
      this.host,
      this.attrs ? new Map(this.attrs) : undefined,
    );
  }

  /** Same fields with another body (format, unbatch, gunzip ...). */
  withBody(body: Buffer): Event {
    return new Event(
      body,
      this.timestamp,
      this.priority,
      this.nanos,
      this.host,
      this.attrs ? new Map(this.attrs) : undefined,
    );
  }
}

export interface EventFields {
  timestamp: number;
  priority: Priority;
  nanos: number;
  host: string;
  attrs: Record<string, string | Buffer>;
}

/** Flume's `flume.event.max.size.bytes`, set once from the site configuration at start-up. */
export const limits = { maxBodySize: 32 * 1024 };

/** How many bodies were cut to `limits.maxBodySize` in this process (shown in node reports). */
export const eventCounters = { truncated: 0 };

function truncate(body: Buffer): Buffer {
  eventCounters.truncated++;
  return body.subarray(0, limits.maxBodySize);
}

let cachedHost: string | undefined;
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

/** Events move in arrays: a batch. A single event is a batch of one. */
export type Batch = Event[];
