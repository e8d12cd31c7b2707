import type { Batch, Event } from '../core/event.js';
import { type CivilTime, Zone } from '../core/timezone.js';

/**
 * Shared pieces of the line formats: Java-style escaping of bytes, per-second date caches and the
 * one-buffer-per-batch line writer.
 */

const HEX = '0123456789ABCDEF';

function u4(code: number): string {
  return `\\u${HEX[(code >> 12) & 15]}${HEX[(code >> 8) & 15]}${HEX[(code >> 4) & 15]}${HEX[code & 15]}`;
}

/**
 * Bytes as Java source-style text, the way Flume's console output shows bodies (commons-lang
 * `escapeJava` over the UTF-8 text), made exact for bytes that are not UTF-8:
 * - `"` and `\` get a backslash; \b \t \n \f \r are written as such;
 * - other control characters, DEL and every non-ASCII character are `\uXXXX` (UTF-16 units, upper-case
 *   hex; a character outside the BMP is two escapes), so the output is plain printable ASCII;
 * - a byte that does not belong to a valid UTF-8 sequence is `\xNN`.
 */
export function escapeJava(bytes: Uint8Array): string {
  // One latin1 decode gives a string whose char codes are the bytes; runs of plain ASCII are then
  // cheap slices of it.
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const s = b.toString('latin1');
  let out = '';
  let start = 0; // start of the pending run of plain ASCII
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) {
      i++;
      continue;
    }
    if (i > start) out += s.slice(start, i);
    if (c < 0x80) {
      out += escapeAscii(c);
      i++;
    } else {
      const [cp, len] = decodeUtf8(b, i);
      if (len === 0) {
        out += `\\x${HEX[c >> 4]}${HEX[c & 15]}`;
        i++;
      } else {
        if (cp > 0xffff) {
          const v = cp - 0x10000;
          out += u4(0xd800 + (v >> 10)) + u4(0xdc00 + (v & 0x3ff));
        } else out += u4(cp);
        i += len;
      }
    }
    start = i;
  }
  if (start === 0) return s;
  if (n > start) out += s.slice(start, n);
  return out;
}

function escapeAscii(c: number): string {
  switch (c) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x08:
      return '\\b';
    case 0x09:
      return '\\t';
    case 0x0a:
      return '\\n';
    case 0x0c:
      return '\\f';
    case 0x0d:
      return '\\r';
    default:
      return u4(c);
  }
}

/** The code point at `i` and its byte length, or length 0 when the bytes there are not valid UTF-8. */
function decodeUtf8(b: Uint8Array, i: number): [number, number] {
  const c = b[i]!;
  let need: number;
  let cp: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) {
    need = 1;
    cp = c & 0x1f;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    cp = c & 0x0f;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    cp = c & 0x07;
    min = 0x10000;
  } else return [0, 0];
  if (i + need >= b.length) return [0, 0];
  for (let k = 1; k <= need; k++) {
    const x = b[i + k]!;
    if ((x & 0xc0) !== 0x80) return [0, 0];
    cp = (cp << 6) | (x & 0x3f);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return [0, 0];
  return [cp, need + 1];
}

/**
 * Text for the second of an instant, recomputed only when the second changes: events of a batch
 * mostly share their second, so a date costs one comparison per event.
 */
export class SecondCache {
  private second = Number.NaN;
  private text = '';

  constructor(
    private readonly zone: Zone,
    private readonly format: (c: CivilTime, zone: Zone, ts: number) => string,
  ) {}

  get(ts: number): string {
    const s = Math.floor(ts / 1000);
    if (s !== this.second) {
      this.second = s;
      this.text = this.format(this.zone.civil(s * 1000), this.zone, s * 1000);
    }
    return this.text;
  }
}

export function zoneOf(timeZone: string | undefined): Zone {
  return Zone.of(timeZone);
}

/**
 * One buffer holding, for each event, `prefix(e)` (UTF-8), then `body(e)` bytes, then "\n". The two
 * passes (measure, then write) keep it to one allocation per batch.
 */
export function encodeLines(
  batch: Batch,
  prefix: (e: Event) => string,
  body: (e: Event) => Uint8Array | string,
): Buffer {
  const n = batch.length;
  const prefixes = new Array<string>(n);
  const bodies = new Array<Uint8Array | string>(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = batch[i]!;
    const p = prefix(e);
    const b = body(e);
    prefixes[i] = p;
    bodies[i] = b;
    total +=
      (p.length === 0 ? 0 : Buffer.byteLength(p)) +
      (typeof b === 'string' ? Buffer.byteLength(b) : b.length) +
      1;
  }
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const p = prefixes[i]!;
    if (p.length > 0) off += out.write(p, off);
    const b = bodies[i]!;
    if (typeof b === 'string') off += out.write(b, off);
    else {
      out.set(b, off);
      off += b.length;
    }
    out[off++] = 0x0a;
  }
  return out;
}
