import { isUtf8 } from 'node:buffer';
import { ByteWriter } from '../../core/byte-writer.js';
import { Event, nowNanos } from '../../core/event.js';
import { PRIORITY_NAMES, Priority, parsePriority } from '../../core/priority.js';
import type { Reader } from './wire.js';

/**
 * Sluice Event <-> Flume NG AvroFlumeEvent { map<string> headers; bytes body; }.
 *
 * Header mapping (one header per field or attribute):
 *   timestamp        event.timestamp, epoch ms in decimal (what Flume NG's timestamp interceptor writes and
 *                    its HDFS sink reads)
 *   host             event.host (the header name of Flume NG's host interceptor)
 *   sluice.priority  priority name (FATAL..TRACE)            } Sluice extensions, so Sluice-to-Sluice
 *   sluice.nanos     the nanosecond counter in decimal        } hops lose nothing; Flume ignores them
 *   <name>           an attribute whose value is UTF-8 and whose name is not reserved
 *   sluice.a.<name>  an attribute named timestamp, host or sluice.* (escaped so it cannot pose as a field)
 *   sluice.b64.<n>   an attribute whose value is not UTF-8 (map<string> cannot carry it): base64 of the
 *                    bytes; <n> is the name as escaped above
 *
 * Events from plain Flume NG carry only headers: timestamp comes from a numeric `timestamp` header or the
 * time of arrival, host from the `host` header or the peer's address, priority INFO, nanos the local
 * counter; every other header becomes an attribute.
 */
export const TIMESTAMP_HEADER = 'timestamp';
export const HOST_HEADER = 'host';
export const PRIORITY_HEADER = 'sluice.priority';
export const NANOS_HEADER = 'sluice.nanos';
export const ESCAPE_PREFIX = 'sluice.a.';
export const BASE64_PREFIX = 'sluice.b64.';

export interface FlumeEventEncoderOptions {
  /** Write sluice.priority and sluice.nanos (default true). Off, a hop to plain Flume gets only NG's headers. */
  sluiceHeaders?: boolean | undefined;
}

/** An Avro `string` value, pre-encoded (length prefix + bytes). */
function encoded(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  // Reserved names and priority names are all shorter than 64 bytes: a one-byte zig-zag length.
  return Buffer.concat([Buffer.from([b.length << 1]), b]);
}

const K_TIMESTAMP = encoded(TIMESTAMP_HEADER);
const K_HOST = encoded(HOST_HEADER);
const K_PRIORITY = encoded(PRIORITY_HEADER);
const K_NANOS = encoded(NANOS_HEADER);
const PRIORITY_VALUES = PRIORITY_NAMES.map(encoded);

function isReserved(name: string): boolean {
  return name === TIMESTAMP_HEADER || name === HOST_HEADER || name.startsWith('sluice.');
}

/** Writes events straight into a ByteWriter: the hot path of every Avro sink (no per-event objects). */
export class FlumeEventEncoder {
  private readonly sluiceHeaders: boolean;
  // Events of a batch mostly share their millisecond, host and priority: everything of a record before
  // its nanos value (header count, timestamp, host, priority, the nanos key) is then the same bytes,
  // built once and copied per event.
  private lastTimestamp = -1;
  private lastHost = '';
  private lastPriority = -1;
  private lastAttrCount = -1;
  private prefix: Buffer = Buffer.alloc(0);
  // Attributes that repeat as the same Buffer (the ack tag of a group on every event of it): their
  // encoded bytes, by attribute index, made on the second sighting and copied while they repeat within a batch.
  private readonly attrName: (string | undefined)[] = [];
  private readonly attrValue: (Buffer | undefined)[] = [];
  private readonly attrBytes: (Buffer | undefined)[] = [];

  constructor(opts: FlumeEventEncoderOptions = {}) {
    this.sluiceHeaders = opts.sluiceHeaders ?? true;
  }

  /** `array<AvroFlumeEvent>` of events[start, end) as one block: appendBatch's parameters. */
  writeBatch(w: ByteWriter, events: readonly Event[], start = 0, end = events.length): void {
    // Only within one batch: a Buffer reused and rewritten between batches must not be taken as known.
    this.attrValue.length = 0;
    if (end > start) {
      w.long(end - start);
      for (let i = start; i < end; i++) this.writeEvent(w, events[i]!);
    }
    w.long(0);
  }

  /** One AvroFlumeEvent record: append's parameters. */
  writeEvent(w: ByteWriter, e: Event): void {
    const attrCount = e.attrCount;
    if (
      e.timestamp !== this.lastTimestamp ||
      e.host !== this.lastHost ||
      e.priority !== this.lastPriority ||
      attrCount !== this.lastAttrCount
    ) {
      this.buildPrefix(e, attrCount);
    }
    w.raw(this.prefix);
    if (this.sluiceHeaders) w.decimalString(e.nanos);
    if (attrCount > 0) {
      for (let i = 0; i < attrCount; i++) {
        const name = e.attrName(i);
        const value = e.attrValue(i);
        if (value === this.attrValue[i] && name === this.attrName[i]) {
          const known = this.attrBytes[i];
          if (known !== undefined) {
            w.raw(known);
            continue;
          }
          const start = w.pos;
          this.writeAttr(w, name, value);
          this.attrBytes[i] = Buffer.from(w.buf.subarray(start, w.pos));
          continue;
        }
        this.attrName[i] = name;
        this.attrValue[i] = value;
        this.attrBytes[i] = undefined;
        this.writeAttr(w, name, value);
      }
    }
    w.long(0);
    w.bytes(e.body);
  }

  private writeAttr(w: ByteWriter, name: string, value: Buffer): void {
    const key = isReserved(name) ? ESCAPE_PREFIX + name : name;
    if (isUtf8(value)) {
      w.string(key);
      w.bytes(value);
    } else {
      w.string(BASE64_PREFIX + key);
      w.string(value.toString('base64'));
    }
  }

  private buildPrefix(e: Event, attrCount: number): void {
    this.lastTimestamp = e.timestamp;
    this.lastHost = e.host;
    this.lastPriority = e.priority;
    this.lastAttrCount = attrCount;
    const w = new ByteWriter(128 + e.host.length * 3);
    w.long((this.sluiceHeaders ? 4 : 2) + attrCount);
    w.raw(K_TIMESTAMP);
    w.decimalString(e.timestamp);
    w.raw(K_HOST);
    w.raw(encodedValue(e.host));
    if (this.sluiceHeaders) {
      w.raw(K_PRIORITY);
      w.raw(PRIORITY_VALUES[e.priority] ?? PRIORITY_VALUES[Priority.INFO]!);
      w.raw(K_NANOS);
    }
    this.prefix = Buffer.from(w.finish());
  }
}

function encodedValue(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = b.length;
  const prefix: number[] = [];
  let z = len << 1;
  while (z > 0x7f) {
    prefix.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  prefix.push(z);
  return Buffer.concat([Buffer.from(prefix), b]);
}

/** Parses a non-negative decimal integer (at most 2^53) from bytes; -1 when it is not one. */
function parseDecimal(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 16) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n <= Number.MAX_SAFE_INTEGER ? n : -1;
}

function priorityAt(buf: Buffer, start: number, end: number): Priority | undefined {
  for (let p = 0; p < PRIORITY_VALUES.length; p++) {
    if (keyIs(buf, start, end - start, PRIORITY_VALUES[p]!)) return p as Priority;
  }
  return parsePriority(buf.toString('latin1', start, end));
}

function keyIs(buf: Buffer, start: number, len: number, key: Buffer): boolean {
  // key holds a one-byte length prefix before its bytes.
  if (key.length - 1 !== len) return false;
  for (let i = 0; i < len; i++) if (buf[start + i] !== key[i + 1]) return false;
  return true;
}

/** Decoding state shared by the events of one batch: the last host seen, so its text is made once. */
interface HostCache {
  start: number;
  end: number;
  text: string;
  /** The same for attribute names, by their place among the event's attributes (ack groups repeat them). */
  names?: { start: number; end: number; text: string }[];
}

/** The attribute name at [start, end) of `buf`, its text made once per batch while it repeats. */
function nameAt(buf: Buffer, start: number, end: number, cache: HostCache, slot: number): string {
  const names = (cache.names ??= []);
  const known = names[slot];
  if (known !== undefined && sameBytes(buf, start, end, known.start, known.end)) return known.text;
  const text = buf.toString('utf8', start, end);
  names[slot] = { start, end, text };
  return text;
}

function sameBytes(buf: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let i = 0; i < e1 - s1; i++) if (buf[s1 + i] !== buf[s2 + i]) return false;
  return true;
}

/** `array<AvroFlumeEvent>` -> events. Bodies and attribute values are views of the frame (no copies). */
export function readFlumeEvents(r: Reader, peerHost: string, out: Event[] = []): Event[] {
  const now = Date.now();
  const cache: HostCache = { start: 0, end: -1, text: '' };
  for (let n = r.blockCount(); n > 0; n = r.blockCount()) {
    for (let i = 0; i < n; i++) out.push(readFlumeEvent(r, peerHost, now, cache));
  }
  return out;
}

/** One AvroFlumeEvent -> event (`now` is the arrival time used when no timestamp header came). */
export function readFlumeEvent(
  r: Reader,
  peerHost: string,
  now: number = Date.now(),
  cache: HostCache = { start: 0, end: -1, text: '' },
): Event {
  const buf = r.buf;
  let timestamp = -1;
  let host: string | undefined;
  let priority: Priority = Priority.INFO;
  let nanos = -1;
  let kv: (string | Buffer)[] | undefined;
  for (let n = r.blockCount(); n > 0; n = r.blockCount()) {
    for (let i = 0; i < n; i++) {
      const ks = r.span();
      const klen = r.pos - ks;
      const vs = r.span();
      const ve = r.pos;
      if (klen === 9 && keyIs(buf, ks, klen, K_TIMESTAMP)) {
        const t = parseDecimal(buf, vs, ve);
        if (t >= 0) {
          timestamp = t;
          continue;
        }
      } else if (klen === 4 && keyIs(buf, ks, klen, K_HOST)) {
        if (!sameBytes(buf, vs, ve, cache.start, cache.end)) {
          cache.start = vs;
          cache.end = ve;
          cache.text = buf.toString('utf8', vs, ve);
        }
        host = cache.text;
        continue;
      } else if (klen === 12 && keyIs(buf, ks, klen, K_NANOS)) {
        const v = parseDecimal(buf, vs, ve);
        if (v >= 0) {
          nanos = v;
          continue;
        }
      } else if (klen === 15 && keyIs(buf, ks, klen, K_PRIORITY)) {
        const p = priorityAt(buf, vs, ve);
        if (p !== undefined) {
          priority = p;
          continue;
        }
      }
      let name = nameAt(buf, ks, ks + klen, cache, kv === undefined ? 0 : kv.length >> 1);
      let value = buf.subarray(vs, ve);
      if (name.startsWith(BASE64_PREFIX)) {
        name = name.slice(BASE64_PREFIX.length);
        value = Buffer.from(value.toString('latin1'), 'base64');
      }
      if (name.startsWith(ESCAPE_PREFIX)) name = name.slice(ESCAPE_PREFIX.length);
      // Flume maps hold one value per key; a repeated key keeps the first, as Sluice attributes do.
      if (kv === undefined) kv = [name, value];
      else if (!hasName(kv, name)) kv.push(name, value);
    }
  }
  const body = r.bytes();
  const t = timestamp >= 0 ? timestamp : now;
  const ns = nanos >= 0 ? nanos : nowNanos();
  if (kv === undefined) return new Event(body, t, priority, ns, host ?? peerHost);
  return Event.withAttrs(body, t, priority, ns, host ?? peerHost, kv);
}

function hasName(kv: (string | Buffer)[], name: string): boolean {
  for (let i = 0; i < kv.length; i += 2) if (kv[i] === name) return true;
  return false;
}

/** Headers as a plain object (for tests, debugging and callers that speak Flume headers). */
export function eventHeaders(e: Event, opts: FlumeEventEncoderOptions = {}): Record<string, string> {
  const h: Record<string, string> = { [TIMESTAMP_HEADER]: String(e.timestamp), [HOST_HEADER]: e.host };
  if (opts.sluiceHeaders ?? true) {
    h[PRIORITY_HEADER] = PRIORITY_NAMES[e.priority] ?? 'INFO';
    h[NANOS_HEADER] = String(e.nanos);
  }
  for (const [name, value] of e.attrEntries()) {
    const key = isReserved(name) ? ESCAPE_PREFIX + name : name;
    if (isUtf8(value)) h[key] = value.toString('utf8');
    else h[BASE64_PREFIX + key] = value.toString('base64');
  }
  return h;
}
