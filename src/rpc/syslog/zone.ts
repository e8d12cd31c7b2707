import type { Place } from '../../core/errors.js';
import { SluiceError } from '../../core/errors.js';
import { Zone } from '../../core/timezone.js';

export { Zone };

/**
 * Wall-clock arithmetic for syslog timestamps. RFC 3164 stamps carry neither year nor zone, so the
 * receiver reads them in a configured zone; the sink writes them in the same way. Civil dates are
 * integer arithmetic on epoch milliseconds (no Date objects on the hot path); zone offsets come from
 * core/timezone.ts, which caches them.
 */

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1..12): Hinnant's days_from_civil. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The inverse of daysFromCivil: [year, month 1..12, day 1..31]. */
export function civilFromDays(z: number): [number, number, number] {
  z += 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1]!;
}

/** Wall-clock milliseconds (as if the wall time were UTC) of a civil date and time. */
export function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return daysFromCivil(y, mo, d) * DAY_MS + h * 3_600_000 + mi * 60_000 + s * 1000;
}

/**
 * The zone syslog timestamps are read and written in: "local" (the process zone), "UTC" or an IANA
 * name. An unknown name is a SluiceError naming the place (the component argument).
 */
export function syslogZone(name: string | undefined, place?: Place): Zone {
  const n = (name ?? '').trim();
  if (n === '' || n.toUpperCase() === 'UTC' || n.toUpperCase() === 'GMT' || n === 'Z') return Zone.UTC;
  const iana = n.toLowerCase() === 'local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : n;
  try {
    return Zone.of(iana);
  } catch {
    throw new SluiceError(
      'SLUICE_SPEC_BAD_ARGUMENT',
      `unknown time zone "${name}" (use UTC, local or an IANA name)`,
      {
        ...(place ? { place } : {}),
      },
    );
  }
}

/** The UTC instant of a wall time in `zone`; in a DST gap or overlap, the offset in force just before. */
export function wallToUtc(zone: Zone, wall: number): number {
  if (zone === Zone.UTC) return wall;
  const guess = wall - zone.offsetMs(wall);
  return wall - zone.offsetMs(guess);
}
