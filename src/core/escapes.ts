import { SluiceError } from './errors.js';
import type { Event } from './event.js';
import { priorityName } from './priority.js';
import {
  type CivilTime,
  formatOffset,
  MONTHS,
  MONTHS_SHORT,
  pad2,
  pad3,
  pad4,
  WEEKDAYS,
  WEEKDAYS_SHORT,
  Zone,
} from './timezone.js';

/**
 * Flume's escape patterns for output bucketing (`collectorSink("/logs/%Y-%m-%d/", "%{host}-")`) and the
 * format decorator.
 *
 * - `%{host}`, `%{nanos}`, `%{priority}`, `%{body}` name event fields; they win over attributes of the
 *   same name, as in Flume OG. Any other `%{name}` is that attribute as UTF-8 text, empty when missing.
 * - `%%` is a percent sign, `%t` the timestamp in ms, `%s` in seconds.
 * - Date letters follow what Flume OG and NG actually write (Java SimpleDateFormat patterns), which
 *   differs from GNU date where the seed's table was copied from: `%k` and `%l` are not blank-padded
 *   (`5`, not ` 5`: a blank in a path helps nobody) and `%P` is `AM`/`PM`. `%c` is Flume's
 *   `EEE MMM d HH:mm:ss yyyy` (`Thu Mar 3 23:05:25 2005`). Names are English whatever the locale.
 *
 * A pattern is parsed once; date text is computed once per distinct second of event time, so a batch
 * of events from the same second costs one string concatenation per event.
 *
 * For paths (`confine`), every value an event supplies is confined by `confineValue` before it is
 * joined, so the result stays under the directory written before the first escape.
 */
export interface Escaper {
  (e: Event): string;
  readonly pattern: string;
  /** False when the pattern is plain text: callers may then compute a path once. */
  readonly hasEscapes: boolean;
  /** True when the result depends on the event's timestamp. */
  readonly usesTime: boolean;
  /** The text before the first escape (`%%` already a percent sign); the whole text when there is none. */
  readonly fixedPrefix: string;
  /** With `confine`: how many results had a value rewritten (read by sinks for their stats). */
  readonly confined: number;
}

export interface EscapeOptions {
  /** IANA zone for date escapes; UTC when absent (site property sluice.time.zone). */
  timeZone?: string;
  /** The result is a path: event values are rewritten by `confineValue` (see PATH_CONFINEMENT_RULE). */
  confine?: boolean;
}

/**
 * The one rule that keeps paths built from events inside their directory, for every sink and file
 * system. Values from the event (`%{host}`, `%{body}`, `%{attribute}`) are percent-encoded where they
 * could change the path's shape; dates, `%t` and literal text are written as they are.
 */
export const PATH_CONFINEMENT_RULE: readonly string[] = [
  'Each byte of `%`, `/`, `\\`, NUL and the other control characters (0x00-0x1F, 0x7F) is written as `%` ' +
    'and two upper-case hex digits (`%25`, `%2F`, `%5C`, `%00`), as in a URL; every other character stays.',
  'A leading `.` of a value is written `%2E`, so no value makes a `.` or `..` segment or a hidden name.',
  'A path segment made only of event values that are all empty is written `%00`, so a missing value ' +
    'never removes a directory level.',
  'A value longer than 100 bytes (after the above) keeps its first 91 bytes followed by `~` and 8 hex ' +
    'digits of a hash of the whole value, so no single value makes a name too long for the file system.',
];

/** Bytes that could change a path's shape or that no file system takes in a name. */
const UNSAFE_IN_PATH_ALL = /[\x00-\x1f\x7f%/\\]/g;

const percentByte = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

/** `confineValue('../../x')` is `%2E.%2F..%2Fx`; values that need nothing are returned as they are. */
export function confineValue(v: string): string {
  let safe = v;
  if (!isSafeInPath(v)) {
    safe = v.replace(UNSAFE_IN_PATH_ALL, percentByte);
    if (safe.charCodeAt(0) === 0x2e) safe = `%2E${safe.slice(1)}`;
  }
  // Three UTF-8 bytes at most per UTF-16 unit: short strings need no counting.
  if (safe.length * 3 <= MAX_VALUE_BYTES || Buffer.byteLength(safe) <= MAX_VALUE_BYTES) return safe;
  return shorten(safe, v);
}

/**
 * Longest value, in UTF-8 bytes, written into a path: file systems take 255 bytes per name (HDFS too,
 * by default), and a name also holds the pattern's text and the writer's tag, so one value from an
 * event can never make a name too long.
 */
export const MAX_VALUE_BYTES = 100;

/** Keeps the first bytes of a long value and a hash of all of it, so distinct values stay distinct. */
function shorten(safe: string, original: string): string {
  const keep = MAX_VALUE_BYTES - 9;
  let bytes = 0;
  let end = 0;
  for (const ch of safe) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > keep) break;
    bytes += n;
    end += ch.length;
  }
  // Never cut a %XX sequence in two: every % of `safe` starts one.
  if (safe[end - 1] === '%') end -= 1;
  else if (safe[end - 2] === '%') end -= 2;
  let h = 0x811c9dc5;
  for (let i = 0; i < original.length; i++) h = Math.imul(h ^ original.charCodeAt(i), 0x01000193);
  return `${safe.slice(0, end)}~${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/** A loop beats a regular expression on the short values paths are made of. */
function isSafeInPath(v: string): boolean {
  if (v.charCodeAt(0) === 0x2e) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x25 || c === 0x2f || c === 0x5c || c === 0x7f) return false;
  }
  return true;
}

/** What an empty segment of event values is written as (see PATH_CONFINEMENT_RULE). */
export const EMPTY_SEGMENT = '%00';

enum Kind {
  Literal,
  Date,
  Millis,
  Host,
  Nanos,
  Priority,
  Body,
  Attr,
}

type DateLetter = (c: CivilTime, ts: number) => string;

const DATE_LETTERS: Record<string, DateLetter> = {
  a: (c) => WEEKDAYS_SHORT[c.weekday]!,
  A: (c) => WEEKDAYS[c.weekday]!,
  b: (c) => MONTHS_SHORT[c.month - 1]!,
  B: (c) => MONTHS[c.month - 1]!,
  c: (c) =>
    `${WEEKDAYS_SHORT[c.weekday]} ${MONTHS_SHORT[c.month - 1]} ${c.day} ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)} ${pad4(c.year)}`,
  d: (c) => pad2(c.day),
  D: (c) => `${pad2(c.month)}/${pad2(c.day)}/${pad2(c.year % 100)}`,
  H: (c) => pad2(c.hour),
  I: (c) => pad2(hour12(c.hour)),
  j: (c) => pad3(c.yearDay),
  k: (c) => String(c.hour),
  l: (c) => String(hour12(c.hour)),
  m: (c) => pad2(c.month),
  M: (c) => pad2(c.minute),
  P: (c) => (c.hour < 12 ? 'AM' : 'PM'),
  s: (_c, ts) => String(Math.floor(ts / 1000)),
  S: (c) => pad2(c.second),
  y: (c) => pad2(((c.year % 100) + 100) % 100),
  Y: (c) => pad4(c.year),
  z: (c) => formatOffset(c.offsetMinutes),
};

const FIELD_KINDS: Record<string, Kind> = {
  host: Kind.Host,
  nanos: Kind.Nanos,
  priority: Kind.Priority,
  body: Kind.Body,
};

function hour12(h: number): number {
  const r = h % 12;
  return r === 0 ? 12 : r;
}

/** The letters accepted after `%` (besides `{`, `%` and `t`), for docs and error messages. */
export const DATE_ESCAPES: readonly string[] = Object.keys(DATE_LETTERS);

/** Parses `pattern` once; a SluiceError SLUICE_ESCAPE naming the column when it is malformed. */
export function compileEscapes(pattern: string, opts: EscapeOptions = {}): Escaper {
  const kinds: Kind[] = [];
  const texts: string[] = [];
  const dates: (DateLetter | undefined)[] = [];
  let literal = '';
  const flush = () => {
    if (literal !== '') {
      kinds.push(Kind.Literal);
      texts.push(literal);
      dates.push(undefined);
      literal = '';
    }
  };
  const push = (kind: Kind, text: string, date?: DateLetter) => {
    flush();
    kinds.push(kind);
    texts.push(text);
    dates.push(date);
  };

  let i = 0;
  while (i < pattern.length) {
    const pct = pattern.indexOf('%', i);
    if (pct < 0) {
      literal += pattern.slice(i);
      break;
    }
    literal += pattern.slice(i, pct);
    const c = pattern[pct + 1];
    if (c === undefined)
      throw escapeError(pattern, pct, 'pattern ends with a lone "%" (write %% for a percent sign)');
    if (c === '%') {
      literal += '%';
      i = pct + 2;
    } else if (c === '{') {
      const close = pattern.indexOf('}', pct + 2);
      if (close < 0) throw escapeError(pattern, pct, 'unterminated "%{": missing "}"');
      const name = pattern.slice(pct + 2, close);
      if (name === '') throw escapeError(pattern, pct, 'empty attribute name in "%{}"');
      const field = FIELD_KINDS[name];
      push(field ?? Kind.Attr, name);
      i = close + 1;
    } else if (c === 't') {
      push(Kind.Millis, '');
      i = pct + 2;
    } else {
      const date = Object.hasOwn(DATE_LETTERS, c) ? DATE_LETTERS[c] : undefined;
      if (date === undefined) {
        throw escapeError(
          pattern,
          pct,
          `unknown escape "%${c}" (known: %{attr} %% %t %${DATE_ESCAPES.join(' %')})`,
        );
      }
      push(Kind.Date, c, date);
      i = pct + 2;
    }
  }
  flush();

  const zone = Zone.of(opts.timeZone);
  const usesTime = kinds.some((k) => k === Kind.Date || k === Kind.Millis);
  const hasEscapes = kinds.some((k) => k !== Kind.Literal);
  const n = kinds.length;
  const fixedPrefix = kinds[0] === Kind.Literal ? texts[0]! : hasEscapes ? '' : texts.join('');
  // Date text for the cached second, one slot per part (undefined for other parts).
  const dateText: string[] = new Array<string>(n).fill('');
  const needsCivil = kinds.includes(Kind.Date);
  let cachedSecond = Number.NaN;

  const refresh = (second: number) => {
    const ts = second * 1000;
    const civil = zone.civil(ts);
    for (let k = 0; k < n; k++) {
      const d = dates[k];
      if (d !== undefined) dateText[k] = d(civil, ts);
    }
    cachedSecond = second;
  };

  /** The text of part k for event e, unconfined (literals and dates are handled by the callers). */
  const value = (k: number, e: Event): string => {
    switch (kinds[k]) {
      case Kind.Millis:
        return String(e.timestamp);
      case Kind.Host:
        return e.host;
      case Kind.Nanos:
        return String(e.nanos);
      case Kind.Priority:
        return priorityName(e.priority);
      case Kind.Body:
        return e.body.toString('utf8');
      case Kind.Attr:
        return e.getAttrString(texts[k]!) ?? '';
      default:
        return '';
    }
  };

  let fn: (e: Event) => string;
  if (!hasEscapes) {
    const constant = texts.join('');
    fn = () => constant;
  } else if (!opts.confine) {
    fn = (e: Event): string => {
      if (needsCivil) {
        const second = Math.floor(e.timestamp / 1000);
        if (second !== cachedSecond) refresh(second);
      }
      let out = '';
      for (let k = 0; k < n; k++) {
        switch (kinds[k]) {
          case Kind.Literal:
            out += texts[k];
            break;
          case Kind.Date:
            out += dateText[k];
            break;
          case Kind.Host:
            out += e.host;
            break;
          case Kind.Attr:
            out += e.getAttrString(texts[k]!) ?? '';
            break;
          default:
            out += value(k, e);
        }
      }
      return out;
    };
  } else {
    const { starts, ends } = valueOnlySegments(kinds, texts);
    // The last value of each part and its confined form: a batch mostly repeats its hosts.
    const lastRaw: (string | undefined)[] = new Array<string | undefined>(n);
    const lastSafe: string[] = new Array<string>(n).fill('');
    fn = (e: Event): string => {
      if (needsCivil) {
        const second = Math.floor(e.timestamp / 1000);
        if (second !== cachedSecond) refresh(second);
      }
      let out = '';
      let changed = false;
      let segmentAt = 0;
      for (let k = 0; k < n; k++) {
        const kind = kinds[k];
        switch (kind) {
          case Kind.Literal:
            out += texts[k];
            break;
          case Kind.Date:
            out += dateText[k];
            break;
          case Kind.Host:
          case Kind.Attr:
          case Kind.Body: {
            if (starts[k]) segmentAt = out.length;
            const v =
              kind === Kind.Host
                ? e.host
                : kind === Kind.Attr
                  ? (e.getAttrString(texts[k]!) ?? '')
                  : e.body.toString('utf8');
            if (v !== lastRaw[k]) {
              lastRaw[k] = v;
              lastSafe[k] = confineValue(v);
            }
            const c = lastSafe[k]!;
            if (c !== v) changed = true;
            out += c;
            if (ends[k] && out.length === segmentAt) {
              out += EMPTY_SEGMENT;
              changed = true;
            }
            break;
          }
          default:
            out += value(k, e);
        }
      }
      if (changed) self.confined++;
      return out;
    };
  }
  const self = Object.assign(fn, { pattern, hasEscapes, usesTime, fixedPrefix, confined: 0 });
  return self;
}

/**
 * Marks the runs of value parts that make a whole path segment on their own (`/%{a}%{b}/`): only they
 * can leave a segment empty. Pattern start and end count as segment boundaries, since a directory
 * pattern is followed by `/` and a file pattern preceded by one.
 */
function valueOnlySegments(kinds: Kind[], texts: string[]): { starts: boolean[]; ends: boolean[] } {
  const starts = new Array<boolean>(kinds.length).fill(false);
  const ends = new Array<boolean>(kinds.length).fill(false);
  let clean = true;
  let runStart = -1;
  const close = (last: number) => {
    if (clean && runStart >= 0 && last >= runStart) {
      starts[runStart] = true;
      ends[last] = true;
    }
  };
  for (let k = 0; k < kinds.length; k++) {
    const kind = kinds[k];
    if (kind === Kind.Literal) {
      const t = texts[k]!;
      const first = t.indexOf('/');
      if (first < 0) {
        clean = false;
        continue;
      }
      if (first > 0) clean = false;
      close(k - 1);
      clean = t.length - 1 === t.lastIndexOf('/');
      runStart = -1;
    } else if (kind === Kind.Host || kind === Kind.Body || kind === Kind.Attr) {
      if (clean && runStart < 0) runStart = k;
    } else {
      clean = false;
    }
  }
  close(kinds.length - 1);
  return { starts, ends };
}

function escapeError(pattern: string, index: number, what: string): SluiceError {
  const column = index + 1;
  return new SluiceError('SLUICE_ESCAPE', `${what} at column ${column} of "${pattern}"`, {
    place: { column },
    detail: `${pattern}\n${' '.repeat(index)}^`,
  });
}
