import { SluiceError } from './errors.js';

/**
 * IANA time zones for escapes (%H, %z ...) and text formats. Intl is the only source of zone rules
 * in Node, and `formatToParts` costs microseconds, so each zone caches its UTC offset per 15-minute
 * slot: every tzdb transition since standard time falls on a quarter hour of UTC, so one offset holds
 * for a whole slot.
 */
export interface CivilTime {
  year: number;
  /** 1..12 */
  month: number;
  /** 1..31 */
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  /** 0 = Sunday, as Date#getUTCDay. */
  weekday: number;
  /** 1..366 */
  yearDay: number;
  /** Local time minus UTC, in minutes (east positive: +0530 is 330). */
  offsetMinutes: number;
}

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
export const WEEKDAYS_SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const MONTHS_SHORT = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];

const SLOT_MS = 15 * 60 * 1000;
const MAX_CACHED_SLOTS = 4096;
const zones = new Map<string, Zone>();

export class Zone {
  private readonly slots = new Map<number, number>();
  private readonly abbreviations = new Map<number, string>();

  private constructor(
    /** The canonical IANA name (`UTC`, `Europe/Paris`). */
    readonly name: string,
    /** Undefined for UTC: the fast path never asks Intl. */
    private readonly dtf: Intl.DateTimeFormat | undefined,
  ) {}

  static readonly UTC: Zone = new Zone('UTC', undefined);

  /** The zone named `name` (cached); a SluiceError SLUICE_CONFIG when Intl does not know it. */
  static of(name: string | undefined): Zone {
    if (name === undefined || name === '' || name === 'UTC') return Zone.UTC;
    const cached = zones.get(name);
    if (cached) return cached;
    let dtf: Intl.DateTimeFormat;
    try {
      dtf = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new SluiceError(
        'SLUICE_CONFIG',
        `unknown time zone "${name}" (use an IANA name such as Europe/Paris)`,
        {
          place: { field: 'sluice.time.zone' },
        },
      );
    }
    const canonical = dtf.resolvedOptions().timeZone;
    const zone = canonical === 'UTC' || canonical === 'Etc/UTC' ? Zone.UTC : new Zone(canonical, dtf);
    zones.set(name, zone);
    return zone;
  }

  /** Local time minus UTC at instant `ts` (ms), in ms. */
  offsetMs(ts: number): number {
    if (this.dtf === undefined) return 0;
    const slot = Math.floor(ts / SLOT_MS);
    let off = this.slots.get(slot);
    if (off === undefined) {
      off = this.computeOffset(slot * SLOT_MS);
      if (this.slots.size >= MAX_CACHED_SLOTS) this.slots.clear();
      this.slots.set(slot, off);
    }
    return off;
  }

  /** The wall-clock fields of instant `ts` (ms) in this zone. */
  civil(ts: number): CivilTime {
    const off = this.offsetMs(ts);
    const d = new Date(ts + off);
    const year = d.getUTCFullYear();
    const jan1 = new Date(0);
    jan1.setUTCFullYear(year, 0, 1);
    return {
      year,
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millis: d.getUTCMilliseconds(),
      weekday: d.getUTCDay(),
      yearDay: Math.floor((d.getTime() - jan1.getTime()) / 86_400_000) + 1,
      offsetMinutes: Math.round(off / 60_000),
    };
  }

  /** The short zone name Java's Date#toString shows (UTC, EST, CEST or GMT+1 as Intl knows it). */
  abbreviation(ts: number): string {
    if (this.dtf === undefined) return 'UTC';
    const off = this.offsetMs(ts);
    let abbr = this.abbreviations.get(off);
    if (abbr === undefined) {
      const parts = new Intl.DateTimeFormat('en-US', {
        timeZone: this.name,
        timeZoneName: 'short',
      }).formatToParts(new Date(ts));
      abbr = parts.find((p) => p.type === 'timeZoneName')?.value ?? formatOffset(off / 60_000, '');
      this.abbreviations.set(off, abbr);
    }
    return abbr;
  }

  private computeOffset(ts: number): number {
    const f: Record<string, number> = {};
    for (const p of this.dtf!.formatToParts(new Date(ts))) {
      if (p.type !== 'literal') f[p.type] = Number(p.value);
    }
    const wall = new Date(0);
    wall.setUTCFullYear(f.year!, f.month! - 1, f.day!);
    wall.setUTCHours(f.hour!, f.minute!, f.second!, 0);
    return wall.getTime() - Math.floor(ts / 1000) * 1000;
  }
}

/** True when Intl knows the zone name. */
export function isTimeZone(name: string): boolean {
  try {
    Zone.of(name);
    return true;
  } catch {
    return false;
  }
}

/** `+hhmm` / `-hhmm` (sep '') or `+hh:mm` (sep ':') from an offset in minutes. */
export function formatOffset(minutes: number, sep = ''): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(m / 60))}${sep}${pad2(m % 60)}`;
}

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

export function pad4(n: number): string {
  return n < 0 ? `-${pad4(-n)}` : n < 1000 ? `000${n}`.slice(-4) : String(n);
}
