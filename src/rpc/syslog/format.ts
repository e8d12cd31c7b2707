import type { Batch, Event } from '../../core/event.js';
import { priorityToSeverity, readSyslogNumber, SYSLOG_FACILITY, SYSLOG_SEVERITY } from './parse.js';
import { civilFromDays, syslogZone, type Zone } from './zone.js';

/**
 * Writes events in syslog wire format, one buffer per batch.
 *
 *   RFC 3164 (default):  <PRI>Mmm dd hh:mm:ss HOST BODY        Mmm dd hh:mm:ss in the configured zone
 *   RFC 5424:            <PRI>1 YYYY-MM-DDThh:mm:ss.mmmZ HOST - - - - BODY
 *   framing:             BODY LF (default; LF bytes inside a body become spaces), or with octet
 *                        counting LEN SP MESSAGE (RFC 6587), which carries any byte.
 *
 * PRI comes from the `syslogfacility` / `syslogseverity` attributes when present (so messages received
 * by a syslog source keep theirs), else from the configured facility and the event priority.
 * A body that already starts with a PRI (a message received from a syslog peer: its body is the whole
 * line) is written as it is, the way an RFC 3164 relay forwards.
 *
 * The shape is that of an OutputFormat (header, encode, footer), so text sinks can use it too.
 */

export interface SyslogWireOptions {
  /** Write RFC 5424 headers instead of RFC 3164 ones. */
  rfc5424?: boolean;
  /** Frame with RFC 6587 octet counts instead of a trailing LF. */
  octetCounting?: boolean;
  /** The zone RFC 3164 timestamps are written in (default UTC). */
  zone?: Zone;
  /** Facility of events without a `syslogfacility` attribute (default 1, user). */
  facility?: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;
const EMPTY = Buffer.alloc(0);
const LF = 0x0a;

export class SyslogWireFormat {
  readonly name = 'syslogwire';
  private readonly rfc5424: boolean;
  private readonly octets: boolean;
  private readonly zone: Zone;
  private readonly facility: number;
  // The header of the previous event: consecutive events mostly share priority, second and host.
  private lastPri = -1;
  private lastSecond = Number.NaN;
  private lastHost = '';
  private lastHead: Buffer = EMPTY;
  private stampSecond = Number.NaN;
  private stamp = '';

  constructor(opts: SyslogWireOptions = {}) {
    this.rfc5424 = opts.rfc5424 ?? false;
    this.octets = opts.octetCounting ?? false;
    this.zone = opts.zone ?? syslogZone('UTC');
    const f = opts.facility ?? 1;
    this.facility = Number.isInteger(f) && f >= 0 && f <= 23 ? f : 1;
  }

  header(): Buffer {
    return EMPTY;
  }

  footer(): Buffer {
    return EMPTY;
  }

  encode(batch: Batch): Buffer {
    const n = batch.length;
    const heads: Buffer[] = new Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const e = batch[i]!;
      const head = startsWithPri(e.body) ? EMPTY : this.head(e);
      heads[i] = head;
      const len = head.length + e.body.length;
      total += this.octets ? len + digits(len) + 1 : len + 1;
    }
    const out = Buffer.allocUnsafe(total);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const body = batch[i]!.body;
      const head = heads[i]!;
      const len = head.length + body.length;
      if (this.octets) {
        pos = writeUint(out, pos, len);
        out[pos++] = 0x20;
      }
      pos += head.copy(out, pos);
      const bodyAt = pos;
      pos += body.copy(out, pos);
      if (!this.octets) {
        for (let j = out.indexOf(LF, bodyAt); j >= 0 && j < pos; j = out.indexOf(LF, j + 1)) out[j] = 0x20;
        out[pos++] = LF;
      }
    }
    return out;
  }

  /** The PRI of an event as this format writes it. */
  pri(e: Event): number {
    const facility = readSyslogNumber(e.getAttr(SYSLOG_FACILITY), 23) ?? this.facility;
    const severity = readSyslogNumber(e.getAttr(SYSLOG_SEVERITY), 7) ?? priorityToSeverity(e.priority);
    return facility * 8 + severity;
  }

  private head(e: Event): Buffer {
    const pri = this.pri(e);
    const second = Math.floor(e.timestamp / 1000);
    const host = e.host;
    // RFC 5424 stamps carry milliseconds, so only RFC 3164 headers can be shared within a second.
    if (!this.rfc5424 && pri === this.lastPri && second === this.lastSecond && host === this.lastHost) {
      return this.lastHead;
    }
    const h = host === '' ? '-' : /[\s]/.test(host) ? host.replace(/\s/g, '_') : host;
    const text = this.rfc5424
      ? `<${pri}>1 ${new Date(e.timestamp).toISOString()} ${h} - - - - `
      : `<${pri}>${this.bsdStamp(e.timestamp, second)} ${h} `;
    this.lastPri = pri;
    this.lastSecond = second;
    this.lastHost = host;
    this.lastHead = Buffer.from(text);
    return this.lastHead;
  }

  private bsdStamp(ts: number, second: number): string {
    if (second === this.stampSecond) return this.stamp;
    const wall = ts + this.zone.offsetMs(ts);
    const days = Math.floor(wall / DAY_MS);
    const [, m, d] = civilFromDays(days);
    const secs = Math.floor((wall - days * DAY_MS) / 1000);
    const hh = Math.floor(secs / 3600);
    const mm = Math.floor((secs % 3600) / 60);
    const ss = secs % 60;
    this.stampSecond = second;
    this.stamp = `${MONTHS[m - 1]} ${d < 10 ? ` ${d}` : d} ${pad2(hh)}:${pad2(mm)}:${pad2(ss)}`;
    return this.stamp;
  }
}

/** True when a body already is a syslog message: "<" 1*3DIGIT ">". */
export function startsWithPri(b: Buffer): boolean {
  if (b.length < 3 || b[0] !== 0x3c) return false;
  let i = 1;
  while (i < b.length && i <= 4 && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  return i > 1 && i <= 4 && b[i] === 0x3e;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function digits(v: number): number {
  let d = 1;
  while (v >= 10) {
    v = Math.floor(v / 10);
    d++;
  }
  return d;
}

function writeUint(out: Buffer, pos: number, v: number): number {
  const d = digits(v);
  for (let i = pos + d - 1; i >= pos; i--) {
    out[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return pos + d;
}
