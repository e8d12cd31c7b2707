/**
 * Flume's regex and split decorators take java.util.regex patterns. Most of that syntax means the same
 * in JavaScript; this translator rewrites the parts that differ and refuses, with a reason, the parts
 * JavaScript cannot express, instead of letting a pattern silently match something else.
 *
 * Rewritten: \Q...\E quoting, \A \z \Z anchors, \h \H \v \V \R, \a \e, octal \0nnn, \x{h..h}, POSIX and
 * Unicode \p{..} classes, leading inline flags (?i) (?s) (?m), a literal ']' or '{' Java accepts, and
 * escaped punctuation (emitted so the result is also valid under the u flag).
 * Refused: possessive quantifiers, atomic groups, \G, inline flags after the start, nested classes and
 * class intersections, \p{In<Block>}, comments mode (?x).
 *
 * The source has already been through the spec lexer, so "\\d" in a spec arrives here as \d.
 */

export class JavaRegexError extends Error {}

export interface TranslatedRegex {
  source: string;
  flags: string;
}

const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
};

const HSPACE = '\\t \\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000';
const VSPACE = '\\n\\x0B\\f\\r\\x85\\u2028\\u2029';
const LINE_END = '(?:\\r\\n|[\\n\\r\\x85\\u2028\\u2029])';

/** Escapes that mean the same in both dialects (given the u-safe handling of the rest). */
const SAME_ESCAPES = new Set(['d', 'D', 's', 'S', 'w', 'W', 'b', 'B', 't', 'n', 'r', 'f']);
/** Characters JavaScript accepts escaped even under the u flag ('-' only inside a class). */
const SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

const UNICODE_BINARY: Record<string, string> = {
  Alphabetic: 'Alphabetic',
  Ideographic: 'Ideographic',
  Letter: 'L',
  Lowercase: 'Lowercase',
  Uppercase: 'Uppercase',
  Titlecase: 'Lt',
  Punctuation: 'P',
  Control: 'Cc',
  White_Space: 'White_Space',
  WhiteSpace: 'White_Space',
  Digit: 'Nd',
  Hex_Digit: 'Hex_Digit',
  HexDigit: 'Hex_Digit',
  Join_Control: 'Join_Control',
  JoinControl: 'Join_Control',
  Noncharacter_Code_Point: 'Noncharacter_Code_Point',
  Assigned: 'Assigned',
};

export function translateJavaRegex(pattern: string): TranslatedRegex {
  const flags = new Set<string>();
  let i = 0;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 'm' || f === 's') flags.add(f);
      else if (f === 'u') flags.add('u');
      else if (f === 'd') {
        // UNIX_LINES only narrows what counts as a line end; JavaScript's notion is close enough.
      } else throw new JavaRegexError(`inline flag (?${f}) is not supported`);
    }
    i = lead[0].length;
  }

  let out = '';
  let inClass = false;
  const n = pattern.length;

  const fail = (msg: string, at: number): never => {
    throw new JavaRegexError(`${msg} at index ${at}`);
  };
  const literal = (c: string): string => (SYNTAX.has(c) || (inClass && c === '-') ? `\\${c}` : c);
  const checkPossessive = (at: number) => {
    if (pattern[at] === '+') fail('possessive quantifiers are not supported', at);
  };

  while (i < n) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (i + 1 >= n) fail('trailing backslash', i);
      const d = pattern[i + 1]!;
      const at = i;
      i += 2;
      if (SAME_ESCAPES.has(d)) {
        out += `\\${d}`;
      } else if (d === 'Q') {
        const end = pattern.indexOf('\\E', i);
        const text = end < 0 ? pattern.slice(i) : pattern.slice(i, end);
        for (const ch of text) out += literal(ch);
        i = end < 0 ? n : end + 2;
        continue;
      } else if (d === 'E') {
        // A stray \E outside \Q is ignored by Java.
        continue;
      } else if (d === 'A' || d === 'z' || d === 'Z' || d === 'G' || d === 'R') {
        if (inClass) fail(`\\${d} is not allowed in a character class`, at);
        if (d === 'A') out += '(?<![\\s\\S])';
        else if (d === 'z') out += '(?![\\s\\S])';
        else if (d === 'Z') out += `(?=${LINE_END}?(?![\\s\\S]))`;
        else if (d === 'R') out += `(?:\\r\\n|[${VSPACE}])`;
        else fail('\\G (end of previous match) is not supported', at);
      } else if (d === 'h' || d === 'v') {
        const set = d === 'h' ? HSPACE : VSPACE;
        out += inClass ? set : `[${set}]`;
      } else if (d === 'H' || d === 'V') {
        if (inClass) fail(`\\${d} is not supported inside a character class`, at);
        out += `[^${d === 'H' ? HSPACE : VSPACE}]`;
      } else if (d === 'a') {
        out += '\\x07';
      } else if (d === 'e') {
        out += '\\x1B';
      } else if (d === '0') {
        const m = /^(?:[0-3][0-7]{2}|[0-7]{1,2})/.exec(pattern.slice(i));
        if (!m) fail('bad octal escape \\0', at);
        i += m![0].length;
        out += hexEscape(Number.parseInt(m![0], 8));
      } else if (d === 'x') {
        if (pattern[i] === '{') {
          const close = pattern.indexOf('}', i);
          const hex = close < 0 ? '' : pattern.slice(i + 1, close);
          if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) fail('bad \\x{...} escape', at);
          const cp = Number.parseInt(hex, 16);
          if (cp > 0x10ffff) fail('code point out of range', at);
          if (cp > 0xffff) flags.add('u');
          out += cp > 0xffff ? `\\u{${hex}}` : hexEscape(cp);
          i = close + 1;
        } else {
          if (!/^[0-9a-fA-F]{2}/.test(pattern.slice(i, i + 2))) fail('bad \\x escape', at);
          out += `\\x${pattern.slice(i, i + 2)}`;
          i += 2;
        }
      } else if (d === 'u') {
        if (!/^[0-9a-fA-F]{4}/.test(pattern.slice(i, i + 4))) fail('bad \\u escape', at);
        out += `\\u${pattern.slice(i, i + 4)}`;
        i += 4;
      } else if (d === 'c') {
        if (i >= n || !/[A-Za-z]/.test(pattern[i]!)) fail('bad \\c escape', at);
        out += `\\c${pattern[i]}`;
        i += 1;
      } else if (d === 'p' || d === 'P') {
        let name: string;
        if (pattern[i] === '{') {
          const close = pattern.indexOf('}', i);
          if (close < 0) fail('unclosed \\p{', at);
          name = pattern.slice(i + 1, close);
          i = close + 1;
        } else {
          if (i >= n) fail(`bad \\${d} escape`, at);
          name = pattern[i]!;
          i += 1;
        }
        const negate = d === 'P';
        const posix = POSIX[name];
        if (posix !== undefined) {
          if (inClass && negate) fail(`\\P{${name}} is not supported inside a character class`, at);
          out += inClass ? posix : negate ? `[^${posix}]` : `[${posix}]`;
        } else {
          out += `\\${d}{${unicodeProperty(name, at)}}`;
          flags.add('u');
        }
      } else if (d === 'k') {
        const m = /^<([A-Za-z][A-Za-z0-9]*)>/.exec(pattern.slice(i));
        if (!m) fail('bad \\k<name> back reference', at);
        out += `\\k${m![0]}`;
        i += m![0].length;
      } else if (d >= '1' && d <= '9') {
        out += `\\${d}`;
      } else if (/[A-Za-z0-9]/.test(d)) {
        fail(`unknown escape \\${d}`, at);
      } else {
        out += literal(d);
      }
      continue;
    }

    if (inClass) {
      if (c === ']') {
        inClass = false;
        out += ']';
      } else if (c === '[') {
        fail('nested character classes (unions) are not supported', i);
      } else if (c === '&' && pattern[i + 1] === '&') {
        fail('character class intersections (&&) are not supported', i);
      } else {
        out += c;
      }
      i++;
      continue;
    }

    switch (c) {
      case '[': {
        inClass = true;
        out += '[';
        i++;
        if (pattern[i] === '^') {
          out += '^';
          i++;
        }
        // Java takes a ']' first in a class as a literal.
        if (pattern[i] === ']') {
          out += '\\]';
          i++;
        }
        break;
      }
      case ']':
      case '}':
        out += `\\${c}`;
        i++;
        break;
      case '{': {
        const m = /^\{\d+(?:,\d*)?\}/.exec(pattern.slice(i));
        if (m) {
          out += m[0];
          i += m[0].length;
          checkPossessive(i);
        } else {
          out += '\\{';
          i++;
        }
        break;
      }
      case '*':
      case '+':
      case '?':
        out += c;
        i++;
        checkPossessive(i);
        break;
      case '(': {
        if (pattern[i + 1] !== '?') {
          out += '(';
          i++;
          break;
        }
        const rest = pattern.slice(i + 2);
        if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!')) {
          out += `(?${rest[0]}`;
          i += 3;
        } else if (rest.startsWith('<=') || rest.startsWith('<!')) {
          out += `(?${rest.slice(0, 2)}`;
          i += 4;
        } else if (rest.startsWith('<')) {
          const m = /^<([A-Za-z][A-Za-z0-9]*)>/.exec(rest);
          if (!m) fail('bad group name', i);
          out += `(?${m![0]}`;
          i += 2 + m![0].length;
        } else if (rest.startsWith('>')) {
          fail('atomic groups (?>...) are not supported', i);
        } else {
          fail('inline flags are only supported at the start of the pattern', i);
        }
        break;
      }
      default:
        out += c;
        i++;
    }
  }
  if (inClass) fail('unclosed character class', n);

  return { source: out, flags: [...flags].sort().join('') };
}

/** Translates and compiles; a pattern JavaScript rejects raises JavaRegexError with its reason. */
export function compileJavaRegex(pattern: string, extraFlags = ''): RegExp {
  const t = translateJavaRegex(pattern);
  try {
    return new RegExp(t.source, t.flags + extraFlags);
  } catch (e) {
    // V8 says "Invalid regular expression: /<translated source>/<flags>: <reason>": keep the reason, since
    // the user never wrote the translated source.
    const why =
      e instanceof Error
        ? e.message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '')
        : String(e);
    throw new JavaRegexError(why);
  }
}

/** How many capture groups a compiled pattern has. */
export function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags.replace(/[gy]/g, '')).exec('')!.length - 1;
}

function hexEscape(cp: number): string {
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

function unicodeProperty(name: string, at: number): string {
  let m: RegExpExecArray | null;
  if (/^[A-Z][a-z&]?$/.test(name)) return name.replace('&', '');
  if ((m = /^(?:Is|general_category=|gc=)([A-Z][a-z]?)$/.exec(name))) return m[1]!;
  if ((m = /^(?:script=|sc=)([A-Za-z_]+)$/.exec(name))) return `Script=${m[1]}`;
  if ((m = /^Is([A-Za-z_]+)$/.exec(name))) return UNICODE_BINARY[m[1]!] ?? `Script=${m[1]}`;
  if (name.startsWith('In') || name.startsWith('block=') || name.startsWith('blk=')) {
    throw new JavaRegexError(`Unicode blocks (\\p{${name}}) are not supported at index ${at}`);
  }
  if (name.startsWith('java')) {
    throw new JavaRegexError(`java.lang.Character classes (\\p{${name}}) are not supported at index ${at}`);
  }
  throw new JavaRegexError(`unknown character property \\p{${name}} at index ${at}`);
}
