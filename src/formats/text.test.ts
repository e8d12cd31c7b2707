import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeJava } from './text.js';

const esc = (b: number[] | string) => escapeJava(typeof b === 'string' ? Buffer.from(b) : Buffer.from(b));

/** The inverse of escapeJava, written independently: \xNN is a byte, \uXXXX a UTF-16 unit. */
function unescapeJava(s: string): Buffer {
  const out: number[] = [];
  let units: number[] = [];
  const flushUnits = () => {
    if (units.length) out.push(...Buffer.from(String.fromCharCode(...units), 'utf8'));
    units = [];
  };
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && s[i + 1] === 'u') {
      units.push(Number.parseInt(s.slice(i + 2, i + 6), 16));
      i += 6;
      continue;
    }
    flushUnits();
    if (s[i] !== '\\') out.push(s.charCodeAt(i++));
    else {
      const c = s[i + 1]!;
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, b: 8, f: 12, '"': 34, '\\': 92 };
      if (c === 'x') {
        out.push(Number.parseInt(s.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        out.push(simple[c]!);
        i += 2;
      }
    }
  }
  flushUnits();
  return Buffer.from(out);
}

test('escapeJava: plain text is unchanged, specials get Java escapes', () => {
  assert.equal(esc('plain text 123 ~!@#$%^&*()'), 'plain text 123 ~!@#$%^&*()');
  assert.equal(esc('a"b\\c'), 'a\\"b\\\\c');
  assert.equal(esc('\n\t\r\b\f'), '\\n\\t\\r\\b\\f');
  assert.equal(esc([0x00, 0x1b, 0x7f]), '\\u0000\\u001B\\u007F');
  assert.equal(esc("it's /ok/"), "it's /ok/");
});

test('escapeJava: non-ASCII characters as \\uXXXX, astral ones as surrogate pairs', () => {
  assert.equal(esc('café'), 'caf\\u00E9');
  assert.equal(esc('€5'), '\\u20AC5');
  assert.equal(esc('😀'), '\\uD83D\\uDE00');
});

test('escapeJava: bytes that are not UTF-8 as \\xNN', () => {
  assert.equal(esc([0xff]), '\\xFF');
  assert.equal(esc([0x61, 0xc3]), 'a\\xC3');
  assert.equal(esc([0xc0, 0x80]), '\\xC0\\x80'); // overlong NUL
  assert.equal(esc([0xed, 0xa0, 0x80]), '\\xED\\xA0\\x80'); // a UTF-16 surrogate
  assert.equal(esc([0xe2, 0x82, 0x41]), '\\xE2\\x82A'); // cut sequence
  assert.equal(esc([0xf4, 0x90, 0x80, 0x80]), '\\xF4\\x90\\x80\\x80'); // past U+10FFFF
});

test('escapeJava: output is printable ASCII and decodes back to the same bytes (random bytes)', () => {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let round = 0; round < 500; round++) {
    const len = rand() % 64;
    const bytes = Buffer.alloc(len);
    for (let i = 0; i < len; i++) {
      // Mix ASCII, valid multi-byte starts and continuation bytes.
      const r = rand() % 4;
      bytes[i] = r === 0 ? rand() % 0x80 : r === 1 ? 0x80 + (rand() % 0x40) : rand() % 256;
    }
    const s = escapeJava(bytes);
    assert.match(s, /^[\x20-\x7e]*$/);
    assert.deepEqual(unescapeJava(s), bytes, bytes.toString('hex'));
  }
});
