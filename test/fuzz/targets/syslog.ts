import type { Event } from '../../../src/core/event.js';
import { SyslogFramer } from '../../../src/rpc/syslog/framing.js';
import { SYSLOG_PARSE_ERROR, SyslogParser } from '../../../src/rpc/syslog/parse.js';
import { eventFields } from '../events.js';
import type { Rng } from '../rng.js';
import { check, type FuzzTarget, randomChunks } from '../target.js';

const NOW = 1_700_000_000_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** One syslog message: RFC 3164, RFC 5424 (with structured data), or something half-way. */
export function syslogMessage(rng: Rng): string {
  const pri = rng.chance(0.9) ? rng.below(192) : rng.pick([192, 999, 1000, -1]);
  const host = rng.pick(['host1', 'web-01.example.com', '10.0.0.1', '-', rng.text(6)]);
  const msg = rng.chance(0.8) ? rng.text(rng.size(80)) : '';
  if (rng.chance(0.5)) {
    const day = rng.chance(0.9) ? rng.between(1, 31) : rng.pick([0, 32, 99]);
    const stamp = `${rng.pick(MONTHS)} ${rng.chance(0.5) ? String(day).padStart(2, ' ') : two(day)} ${two(rng.below(25))}:${two(rng.below(61))}:${two(rng.below(61))}`;
    return `<${pri}>${stamp} ${host} ${rng.pick(['app', 'app[123]', 'su:', ''])}: ${msg}`;
  }
  const frac = rng.chance(0.5) ? `.${String(rng.below(1_000_000)).slice(0, rng.between(1, 6))}` : '';
  const zone = rng.pick(['Z', '+02:00', '-11:30', '+14:00', '+99:99', '']);
  const stamp = rng.chance(0.1)
    ? '-'
    : `${rng.between(1970, 2100)}-${two(rng.between(0, 13))}-${two(rng.between(0, 32))}T${two(rng.below(25))}:${two(rng.below(61))}:${two(rng.below(61))}${frac}${zone}`;
  const sd = rng.pick(['-', '[id@1 a="b"]', '[x a="q\\"uote\\]"][y]', '[bad', '[a b="c]']);
  return `<${pri}>${rng.pick(['1', '2', ''])} ${stamp} ${host} app ${rng.pick(['-', '42'])} ${rng.pick(['-', 'ID1'])} ${sd} ${rng.chance(0.2) ? '\ufeff' : ''}${msg}`;
}

const DICTIONARY = [
  '<',
  '>',
  '<13>',
  '<191>',
  '1 ',
  ' - ',
  '[',
  ']',
  '"',
  '\\',
  '=',
  'T',
  'Z',
  ':',
  '\n',
  '\r\n',
  ' ',
  '0',
  '999999999 ',
].map((s) => Buffer.from(s, 'utf8'));

function parsedFields(e: Event): string {
  return JSON.stringify(eventFields(e));
}

export const syslogParse: FuzzTarget = {
  name: 'syslog-parse',
  doc:
    'Syslog message parser (src/rpc/syslog/parse.ts), RFC 3164 and 5424. Oracle: it never throws (a bad ' +
    'message is an event marked with syslog.parse.error); the body is the message; parsing the same bytes ' +
    'again (warm caches) or inside a larger buffer gives the same event.',
  valid(rng) {
    return Buffer.from(syslogMessage(rng), 'utf8');
  },
  dictionary: DICTIONARY,
  maxInput: 8192,
  expected: () => false,
  run(input, rng) {
    const parser = new SyslogParser();
    const first = parser.parse(input, 0, input.length, NOW, 7, 'peer');
    check(first.body.equals(input), 'the body is not the message');
    const again = parser.parse(input, 0, input.length, NOW, 7, 'peer');
    check(
      parsedFields(first) === parsedFields(again),
      `a second parse differs: ${parsedFields(first)} vs ${parsedFields(again)}`,
    );
    // Bytes around the message must not be looked at.
    const before = rng.bytes(rng.below(8));
    const framed = Buffer.concat([before, input, rng.bytes(rng.below(8))]);
    const inside = new SyslogParser().parse(
      framed,
      before.length,
      before.length + input.length,
      NOW,
      7,
      'peer',
    );
    check(
      parsedFields(first) === parsedFields(inside),
      `parsing inside a larger buffer differs: ${parsedFields(first)} vs ${parsedFields(inside)}`,
    );
  },
};

function frame(chunks: readonly Buffer[], max: number): string {
  const out: Event[] = [];
  const framer = new SyslogFramer(new SyslogParser(), 'peer', max);
  for (const c of chunks) framer.push(c, out);
  framer.end(out);
  return out.map((e) => `${e.body.toString('hex')}/${e.getAttrString(SYSLOG_PARSE_ERROR) ?? ''}`).join(',');
}

export const syslogFraming: FuzzTarget = {
  name: 'syslog-framing',
  doc:
    'Syslog TCP framing (src/rpc/syslog/framing.ts): octet counting and newline framing mixed, with a ' +
    'message size limit. Oracle: it never throws; the messages (bodies and parse errors) are the same ' +
    'whether the stream arrives in one chunk or in random pieces; no body is longer than the limit.',
  valid(rng) {
    const parts: string[] = [];
    for (let n = rng.between(1, 6); n > 0; n--) {
      const m = syslogMessage(rng);
      const r = rng.float();
      if (r < 0.4) parts.push(`${Buffer.byteLength(m, 'utf8')} ${m}`);
      else if (r < 0.8) parts.push(`${m}\n`);
      else if (r < 0.9) parts.push(`${m}\r\n`);
      else parts.push('\n');
    }
    return Buffer.from(parts.join(''), 'utf8');
  },
  dictionary: DICTIONARY,
  maxInput: 16 * 1024,
  expected: () => false,
  run(input, rng) {
    const max = rng.pick([16, 100, 480, 2048, 65536]);
    const whole = frame([input], max);
    const pieces = frame(randomChunks(input, rng), max);
    check(
      whole === pieces,
      `chunking changed the messages (limit ${max}):\n  whole:  ${whole.slice(0, 300)}\n  pieces: ${pieces.slice(0, 300)}`,
    );
    for (const m of whole.split(',')) {
      const hex = m.slice(0, m.indexOf('/'));
      check(hex.length / 2 <= max, `a message of ${hex.length / 2} bytes passed the limit of ${max}`);
    }
  },
};
