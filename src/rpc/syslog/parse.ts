import { Event } from '../../core/event.js';
import { Priority } from '../../core/priority.js';
import { daysInMonth, syslogZone, wallMs, wallToUtc, type Zone } from './zone.js';

/**
 * Syslog message parsing (RFC 3164 and RFC 5424) straight from the receive buffer.
 *
 * Grammar accepted (one message, framing already removed):
 *   PRI      = "<" 1*3DIGIT ">"                       value 0..191 = facility * 8 + severity
 *   RFC 5424 = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]
 *              TIMESTAMP = "-" / YYYY-MM-DDTHH:MM:SS[.1*9DIGIT](Z / +HH:MM / -HH:MM)
 *   RFC 3164 = PRI [TIMESTAMP SP [HOSTNAME SP]] MSG
 *              TIMESTAMP = "Mmm dd hh:mm:ss" (day space- or zero-padded), or an RFC 3339 stamp as
 *              rsyslog's forward formats write it
 *
 * The whole line stays the body. Every input gives exactly one event: what does not parse is named in
 * the `syslog.parse.error` attribute and the event gets the receive time, the peer as host and the
 * RFC 3164 default priority (user.notice). Nothing here throws on input bytes.
 */

/** Attribute names as Flume OG set them; values are one byte (the number), as OG wrote them. */
export const SYSLOG_FACILITY = 'syslogfacility';
export const SYSLOG_SEVERITY = 'syslogseverity';
/** Set only on messages that did not parse cleanly: a short English description of the problem. */
export const SYSLOG_PARSE_ERROR = 'syslog.parse.error';

/**
 * Flume NG's flag on events it could not parse (`Invalid`) or had to cut (`Incomplete`), set beside
 * `syslog.parse.error` so NG configurations that route on it keep working.
 */
export const SYSLOG_STATUS = 'flume.syslog.status';
const INVALID = Buffer.from('Invalid');
const INCOMPLETE = Buffer.from('Incomplete');

/** RFC 3164 section 4.3.3: a message without a usable PRI is treated as user.notice. */
export const DEFAULT_PRI = 13;

const SEVERITY_TO_PRIORITY: readonly Priority[] = [
  Priority.FATAL, // emerg
  Priority.FATAL, // alert
  Priority.FATAL, // crit
  Priority.ERROR, // err
  Priority.WARN, // warning
  Priority.INFO, // notice
  Priority.INFO, // info
  Priority.DEBUG, // debug
];

export function severityToPriority(severity: number): Priority {
  return SEVERITY_TO_PRIORITY[severity] ?? Priority.INFO;
}

/** The severity a sink writes for an event without a `syslogseverity` attribute. */
export function priorityToSeverity(p: Priority): number {
  switch (p) {
    case Priority.FATAL:
      return 2;
    case Priority.ERROR:
      return 3;
    case Priority.WARN:
      return 4;
    case Priority.INFO:
      return 6;
    default:
      return 7;
  }
}

// Attribute values are shared, never mutated: one buffer per possible number instead of one per event.
const FACILITY_BUFS: readonly Buffer[] = Array.from({ length: 24 }, (_, i) => Buffer.from([i]));
const SEVERITY_BUFS: readonly Buffer[] = Array.from({ length: 8 }, (_, i) => Buffer.from([i]));

/**
 * Reads a facility or severity attribute: one byte holding the number (Flume OG's encoding) or the
 * number as decimal text (written by hand in a spec, or by NG-style header users). Undefined when
 * absent or out of range.
 */
export function readSyslogNumber(v: Buffer | undefined, max: number): number | undefined {
  if (v === undefined || v.length === 0) return undefined;
  if (v.length === 1 && v[0]! <= max) return v[0]!;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]! - 0x30;
    if (c < 0 || c > 9 || i > 2) return undefined;
    n = n * 10 + c;
  }
  return n <= max ? n : undefined;
}

const SP = 0x20;
const LT = 0x3c;
const GT = 0x3e;

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** Month names keyed by their three bytes packed into an integer. */
const MONTHS = new Map<number, number>(
  ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m, i) => [
    (m.charCodeAt(0) << 16) | (m.charCodeAt(1) << 8) | m.charCodeAt(2),
    i + 1,
  ]),
);

const HOST_CACHE_SIZE = 512;
const HEADER_FIELDS = ['app-name', 'procid', 'msgid'] as const;

/** How long resolved RFC 3164 minutes stay cached: the year guess depends on "now". */
const MINUTE_CACHE_MS = 60_000;

export interface SyslogParserOptions {
  /** The zone RFC 3164 timestamps are read in (default UTC). */
  zone?: Zone;
}

/**
 * One parser per receiving socket or source: it keeps small caches (host names, resolved minutes)
 * that make a stream of similar lines cheap.
 */
export class SyslogParser {
  private readonly zone: Zone;
  // Out-parameters of the timestamp readers, kept on the instance so the hot path allocates nothing.
  private ts = 0;
  private err: string | undefined;
  private minuteCache = new Map<number, number>();
  private minuteCacheAt = 0;
  private hosts = new Map<number, { bytes: Buffer; name: string }>();
  /** The last RFC 3164 stamp read ("Mmm dd hh:mm:ss", 15 or 16 bytes) and its time. */
  private readonly stampBytes = Buffer.alloc(16);
  private stampLen = 0;
  private stampTs = 0;
  /** The minute cache's start when the stamp was read: the stamp is reused only within that cache's life. */
  private stampEpoch = -1;

  constructor(opts: SyslogParserOptions = {}) {
    this.zone = opts.zone ?? syslogZone('UTC');
  }

  /**
   * Parses `buf[start, end)` (no framing bytes, no trailing newline) into an event whose body is that
   * slice (not copied). `receivedAt` and `nanos` stamp events without a usable timestamp; `peer` is
   * the host of events that name none. `frameError` marks a message the framer already found at fault
   * (truncated, cut by a closed connection).
   */
  parse(
    buf: Buffer,
    start: number,
    end: number,
    receivedAt: number,
    nanos: number,
    peer: string,
    frameError?: string,
  ): Event {
    let pri = DEFAULT_PRI;
    let host = peer;
    this.ts = receivedAt;
    this.err = undefined;
    let p = start;

    if (end <= start) this.err = 'empty message';
    else if (buf[p] !== LT) this.err = 'missing PRI: the message does not start with "<"';
    else {
      p++;
      let v = 0;
      let nd = 0;
      while (p < end && isDigit(buf[p]) && nd < 4) {
        v = v * 10 + buf[p]! - 0x30;
        p++;
        nd++;
      }
      if (nd === 0) this.err = 'bad PRI: no digits after "<"';
      else if (nd > 3) this.err = 'bad PRI: more than 3 digits';
      else if (p >= end || buf[p] !== GT) this.err = 'bad PRI: missing ">"';
      else if (v > 191) this.err = `bad PRI: ${v} is above 191`;
      else {
        pri = v;
        p++;
        host = this.header(buf, p, end, receivedAt, peer);
      }
    }

    const facility = pri >> 3;
    const severity = pri & 7;
    // One exactly sized attribute array per message: a Map, or an array grown by pushes, would be most
    // of the garbage made here at a million messages a second.
    const error = frameError ?? this.err;
    const kv =
      error === undefined
        ? [SYSLOG_FACILITY, FACILITY_BUFS[facility]!, SYSLOG_SEVERITY, SEVERITY_BUFS[severity]!]
        : [
            SYSLOG_FACILITY,
            FACILITY_BUFS[facility]!,
            SYSLOG_SEVERITY,
            SEVERITY_BUFS[severity]!,
            SYSLOG_PARSE_ERROR,
            Buffer.from(error),
            SYSLOG_STATUS,
            this.err !== undefined ? INVALID : INCOMPLETE,
          ];
    const priority = SEVERITY_TO_PRIORITY[severity]!;
    return Event.withAttrs(buf.subarray(start, end), this.ts, priority, nanos, host, kv);
  }

  /** Reads what follows the PRI; sets this.ts / this.err and returns the host. */
  private header(buf: Buffer, p: number, end: number, receivedAt: number, peer: string): string {
    if (p >= end) return peer;
    const c = buf[p]!;
    // RFC 5424: a version number then a space. An RFC 3339 stamp also starts with a digit but has
    // its fifth byte '-', so the two cannot be confused.
    if (
      c >= 0x31 &&
      c <= 0x39 &&
      p + 1 < end &&
      (buf[p + 1] === SP || (p + 2 < end && isDigit(buf[p + 1]) && buf[p + 2] === SP))
    ) {
      return this.rfc5424(buf, p, end, peer);
    }
    let q: number;
    if (isDigit(c) && p + 4 < end && buf[p + 4] === 0x2d) {
      q = this.iso(buf, p, end);
      if (q < 0) return this.fail(receivedAt, 'bad RFC 3339 timestamp', peer);
    } else if (p + 3 < end && buf[p + 3] === SP && MONTHS.has((c << 16) | (buf[p + 1]! << 8) | buf[p + 2]!)) {
      q = this.bsdStamp(buf, p, end, receivedAt);
      if (q < 0) return this.fail(receivedAt, 'bad RFC 3164 timestamp', peer);
    } else {
      // RFC 3164 allows a bare PRI and text ("<37>hello via syslog"): received time, sender as host.
      return peer;
    }
    if (q >= end) return peer;
    if (buf[q] !== SP) return this.fail(receivedAt, 'no space after the timestamp', peer);
    q++;
    let r = q;
    let bracket = false;
    while (r < end && buf[r] !== SP) {
      if (buf[r] === 0x5b) bracket = true;
      r++;
    }
    // A tag ("sshd[42]:", "su:") in the host position means the sender left the host out.
    if (r === q || r - q > 255 || bracket || buf[r - 1] === 0x3a) return peer;
    return this.hostString(buf, q, r);
  }

  private fail(receivedAt: number, error: string, peer: string): string {
    this.ts = receivedAt;
    this.err = error;
    return peer;
  }

  private rfc5424(buf: Buffer, p: number, end: number, peer: string): string {
    const receivedAt = this.ts;
    if (buf[p] !== 0x31 || buf[p + 1] !== SP) {
      let v = buf[p]! - 0x30;
      if (buf[p + 1] !== SP) v = v * 10 + buf[p + 1]! - 0x30;
      this.err = `unsupported syslog version ${v}`;
      return peer;
    }
    p += 2;
    if (p >= end) {
      this.err = 'RFC 5424 header incomplete: no timestamp';
      return peer;
    }
    if (buf[p] === 0x2d && (p + 1 >= end || buf[p + 1] === SP)) p++;
    else {
      const q = this.iso(buf, p, end);
      if (q < 0) {
        this.ts = receivedAt;
        this.err = 'bad RFC 5424 timestamp';
        return peer;
      }
      p = q;
    }
    if (p >= end || buf[p] !== SP) {
      this.err = 'RFC 5424 header incomplete: no hostname';
      return peer;
    }
    p++;
    let q = p;
    while (q < end && buf[q] !== SP) q++;
    const host =
      q === p || (q === p + 1 && buf[p] === 0x2d) || q - p > 255 ? peer : this.hostString(buf, p, q);
    // APP-NAME, PROCID and MSGID: three more space-separated fields, then structured data.
    for (const field of HEADER_FIELDS) {
      if (q >= end) {
        this.err = `RFC 5424 header incomplete: no ${field}`;
        return host;
      }
      q++;
      const f = q;
      while (q < end && buf[q] !== SP) q++;
      if (q === f) {
        this.err = `RFC 5424 header: empty ${field}`;
        return host;
      }
    }
    if (q >= end) {
      this.err = 'RFC 5424 header incomplete: no structured data';
      return host;
    }
    const sd = q + 1 < end ? buf[q + 1] : -1;
    if (sd !== 0x2d && sd !== 0x5b) this.err = 'RFC 5424 structured data must be "-" or start with "["';
    return host;
  }

  /**
   * Reads YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM|-HH:MM] at p into this.ts; returns the position after
   * it, or -1. A missing offset reads the time in the configured zone.
   */
  private iso(buf: Buffer, p: number, end: number): number {
    if (p + 19 > end) return -1;
    const y = num(buf, p, 4);
    const mo = num(buf, p + 5, 2);
    const d = num(buf, p + 8, 2);
    const h = num(buf, p + 11, 2);
    const mi = num(buf, p + 14, 2);
    let s = num(buf, p + 17, 2);
    const t = buf[p + 10];
    if (
      y < 0 ||
      mo < 1 ||
      mo > 12 ||
      d < 1 ||
      buf[p + 4] !== 0x2d ||
      buf[p + 7] !== 0x2d ||
      (t !== 0x54 && t !== 0x74) ||
      buf[p + 13] !== 0x3a ||
      buf[p + 16] !== 0x3a ||
      d > daysInMonth(y, mo) ||
      h > 23 ||
      mi > 59 ||
      s > 60
    ) {
      return -1;
    }
    if (s === 60) s = 59; // a leap second: JavaScript time has none
    p += 19;
    let ms = 0;
    if (p < end && buf[p] === 0x2e) {
      p++;
      let nd = 0;
      while (p < end && isDigit(buf[p])) {
        if (nd < 3) ms = ms * 10 + buf[p]! - 0x30;
        nd++;
        p++;
      }
      if (nd === 0 || nd > 9) return -1;
      if (nd === 1) ms *= 100;
      else if (nd === 2) ms *= 10;
    }
    const wall = wallMs(y, mo, d, h, mi, s) + ms;
    const z = p < end ? buf[p] : -1;
    if (z === 0x5a || z === 0x7a) {
      this.ts = wall;
      return p + 1;
    }
    if (z === 0x2b || z === 0x2d) {
      if (p + 6 > end || buf[p + 3] !== 0x3a) return -1;
      const oh = num(buf, p + 1, 2);
      const om = num(buf, p + 4, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
      const off = (oh * 60 + om) * 60_000;
      this.ts = z === 0x2b ? wall - off : wall + off;
      return p + 6;
    }
    if (z !== -1 && z !== SP) return -1;
    this.ts = wallToUtc(this.zone, wall);
    return p;
  }

  /** Reads "Mmm dd hh:mm:ss" at p into this.ts; returns the position after it, or -1. */
  private bsdStamp(buf: Buffer, p: number, end: number, now: number): number {
    // A stream repeats its stamp for every message of a second: the same bytes give the same time
    // while the minute cache that resolved them is current.
    const len = this.stampLen;
    if (
      len > 0 &&
      p + len <= end &&
      this.stampEpoch === this.minuteCacheAt &&
      now >= this.minuteCacheAt &&
      now - this.minuteCacheAt <= MINUTE_CACHE_MS
    ) {
      const last = this.stampBytes;
      let i = 0;
      while (i < len && buf[p + i] === last[i]) i++;
      if (i === len) {
        this.ts = this.stampTs;
        return p + len;
      }
    }
    const q = this.bsdStampParse(buf, p, end, now);
    if (q > 0 && q - p <= this.stampBytes.length) {
      buf.copy(this.stampBytes, 0, p, q);
      this.stampLen = q - p;
      this.stampTs = this.ts;
      this.stampEpoch = this.minuteCacheAt;
    }
    return q;
  }

  private bsdStampParse(buf: Buffer, p: number, end: number, now: number): number {
    const mo = MONTHS.get((buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!)!;
    p += 4;
    if (p < end && buf[p] === SP) p++; // "Oct  1": day padded with a space
    let d = -1;
    if (p < end && isDigit(buf[p])) {
      d = buf[p]! - 0x30;
      p++;
      if (p < end && isDigit(buf[p])) {
        d = d * 10 + buf[p]! - 0x30;
        p++;
      }
    }
    if (d < 1 || d > 31 || p + 9 > end || buf[p] !== SP) return -1;
    const h = num(buf, p + 1, 2);
    const mi = num(buf, p + 4, 2);
    const s = num(buf, p + 7, 2);
    if (
      h < 0 ||
      h > 23 ||
      buf[p + 3] !== 0x3a ||
      mi < 0 ||
      mi > 59 ||
      buf[p + 6] !== 0x3a ||
      s < 0 ||
      s > 60
    ) {
      return -1;
    }
    const minute = this.bsdMinute(mo, d, h, mi, now);
    if (minute < 0) return -1;
    this.ts = minute + (s === 60 ? 59 : s) * 1000;
    return p + 9;
  }

  /**
   * The UTC start of a year-less minute: of last year, this year and next year (in the configured
   * zone) the one closest to now, which handles a December line read in January and skewed clocks.
   */
  private bsdMinute(mo: number, d: number, h: number, mi: number, now: number): number {
    if (now - this.minuteCacheAt > MINUTE_CACHE_MS || now < this.minuteCacheAt) {
      this.minuteCache.clear();
      this.minuteCacheAt = now;
    }
    const key = ((mo * 32 + d) * 24 + h) * 60 + mi;
    const hit = this.minuteCache.get(key);
    if (hit !== undefined) return hit;
    const year = new Date(now + this.zone.offsetMs(now)).getUTCFullYear();
    let best = -1;
    let bestDist = Number.POSITIVE_INFINITY;
    for (let y = year - 1; y <= year + 1; y++) {
      if (d > daysInMonth(y, mo)) continue;
      const t = wallToUtc(this.zone, wallMs(y, mo, d, h, mi, 0));
      const dist = Math.abs(t - now);
      if (dist < bestDist) {
        best = t;
        bestDist = dist;
      }
    }
    if (this.minuteCache.size > 1024) this.minuteCache.clear();
    this.minuteCache.set(key, best);
    return best;
  }

  /**
   * Host names repeat line after line, from a handful of senders: a small cache keyed by a hash of the
   * bytes saves decoding a string (and keeps one copy of it) per event.
   */
  private hostString(buf: Buffer, a: number, b: number): string {
    let h = 0x811c9dc5;
    for (let i = a; i < b; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const hit = this.hosts.get(h);
    if (hit !== undefined && hit.bytes.length === b - a) {
      let i = 0;
      while (i < b - a && buf[a + i] === hit.bytes[i]) i++;
      if (i === b - a) return hit.name;
    }
    const name = buf.toString('utf8', a, b);
    if (this.hosts.size >= HOST_CACHE_SIZE) this.hosts.clear();
    this.hosts.set(h, { bytes: Buffer.from(buf.subarray(a, b)), name });
    return name;
  }
}

/** n ASCII digits at p as a number, or -1. */
function num(buf: Buffer, p: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[p + i]! - 0x30;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}
