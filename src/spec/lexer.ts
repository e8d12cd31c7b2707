import type { SourceText } from './source.js';

/**
 * Tokens of the dataflow language. The lexer runs on demand (the parser pulls tokens) so the first
 * error reported is the first one in the text, whether it is lexical or syntactic.
 *
 * Identifiers start with a letter or `_` and go on with letters, digits, `_`, `-` and `.`, so node
 * names such as `host-1.example` need no quotes. `true`, `false`, `let`, `in` and `roll` are lexed as
 * identifiers; the parser gives them meaning by position.
 */
export type TokenKind = 'ident' | 'string' | 'int' | 'float' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The identifier, the punctuation, or the decoded value of a string literal. */
  text: string;
  /** The numeric value of int and float tokens. */
  num: number;
  /** Offsets into the text: [start, end). */
  start: number;
  end: number;
}

const PUNCT2 = new Set([':=', '=>', '->']);
const PUNCT1 = new Set([':', '|', ';', ',', '(', ')', '[', ']', '{', '}', '<', '>', '?', '=']);
const IDENT = /[\p{L}_][\p{L}\p{N}_.-]*/uy;
const NUMBER = /-?(?:0[xX][0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?)/y;
const WORD_CHAR = /[\p{L}\p{N}_.]/u;

export class Lexer {
  private pos = 0;
  /** End of the last real token: an end-of-input token points just after it, not at trailing blanks. */
  private lastEnd = 0;

  constructor(private readonly src: SourceText) {}

  next(): Token {
    this.skipBlanks();
    const text = this.src.text;
    const start = this.pos;
    if (start >= text.length)
      return { kind: 'eof', text: '', num: 0, start: this.lastEnd, end: this.lastEnd };
    const c = text[start]!;
    let tok: Token;
    if (c === '"') tok = this.javaString(start);
    else if (c === "'") tok = this.rawString(start);
    else if ((c >= '0' && c <= '9') || (c === '-' && isDigit(text.charCodeAt(start + 1))))
      tok = this.number(start);
    else {
      IDENT.lastIndex = start;
      const m = IDENT.exec(text);
      if (m) {
        let end = start + m[0].length;
        // `lazyOpen->x` is a mistyped arrow, not an identifier ending in '-'.
        while (text[end - 1] === '-' && text[end] === '>') end--;
        tok = { kind: 'ident', text: text.slice(start, end), num: 0, start, end };
      } else {
        const two = text.slice(start, start + 2);
        if (PUNCT2.has(two)) tok = { kind: 'punct', text: two, num: 0, start, end: start + 2 };
        else if (PUNCT1.has(c)) tok = { kind: 'punct', text: c, num: 0, start, end: start + 1 };
        else throw this.src.error(`unexpected character ${describeChar(text, start)}`, start);
      }
    }
    this.pos = tok.end;
    this.lastEnd = tok.end;
    return tok;
  }

  private skipBlanks(): void {
    const text = this.src.text;
    let i = this.pos;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 0xfeff) i++;
      else if (c === 35 /* # */ || (c === 47 && text.charCodeAt(i + 1) === 47) /* // */) {
        while (i < text.length && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
      } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* /* */) {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) throw this.src.error('unterminated comment: no closing */', i);
        i = close + 2;
      } else break;
    }
    this.pos = i;
  }

  private number(start: number): Token {
    const text = this.src.text;
    NUMBER.lastIndex = start;
    const m = NUMBER.exec(text)!;
    const end = start + m[0].length;
    // `100ms` or `1.5.2` is one mistaken word, better reported whole than as two odd tokens.
    if (end < text.length && WORD_CHAR.test(text[end]!)) {
      let stop = end;
      while (stop < text.length && WORD_CHAR.test(text[stop]!)) stop++;
      throw this.src.error(`invalid number "${text.slice(start, stop)}"`, start);
    }
    const raw = m[0];
    if (m[1] !== undefined || m[2] !== undefined) {
      const num = Number(raw);
      if (!Number.isFinite(num)) throw this.src.error(`number ${raw} is out of range`, start);
      return { kind: 'float', text: raw, num, start, end };
    }
    const neg = raw.startsWith('-');
    const digits = neg ? raw.slice(1) : raw;
    let num = Number(digits);
    if (!Number.isSafeInteger(num)) {
      throw this.src.error(`integer ${raw} is out of range (at most 2^53 - 1 in magnitude)`, start);
    }
    // Adding 0 turns -0 into 0, so `-0` and `0` are the same literal.
    num = (neg ? -num : num) + 0;
    return { kind: 'int', text: raw, num, start, end };
  }

  private rawString(start: number): Token {
    const text = this.src.text;
    const close = text.indexOf("'", start + 1);
    if (close < 0) throw this.src.error("unterminated string: no closing '", start);
    return { kind: 'string', text: text.slice(start + 1, close), num: 0, start, end: close + 1 };
  }

  /** A double-quoted string with Java's escapes: \b \t \n \f \r \" \' \\, \uXXXX and octal \0 to \377. */
  private javaString(start: number): Token {
    const text = this.src.text;
    let out = '';
    let i = start + 1;
    let chunk = i;
    for (;;) {
      if (i >= text.length) throw this.src.error('unterminated string: no closing "', start);
      const c = text.charCodeAt(i);
      if (c === 34 /* " */) break;
      if (c !== 92 /* \ */) {
        i++;
        continue;
      }
      out += text.slice(chunk, i);
      const e = text[i + 1];
      switch (e) {
        case 'n':
          out += '\n';
          i += 2;
          break;
        case 't':
          out += '\t';
          i += 2;
          break;
        case 'r':
          out += '\r';
          i += 2;
          break;
        case 'b':
          out += '\b';
          i += 2;
          break;
        case 'f':
          out += '\f';
          i += 2;
          break;
        case '"':
        case "'":
        case '\\':
          out += e;
          i += 2;
          break;
        case 'u': {
          // Java allows any number of u's: \uuu0041 is 'A'.
          let j = i + 2;
          while (text[j] === 'u') j++;
          const hex = text.slice(j, j + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            throw this.src.error('invalid unicode escape: \\u needs four hex digits', i);
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i = j + 4;
          break;
        }
        default: {
          if (e !== undefined && e >= '0' && e <= '7') {
            // Java octal escapes: up to three digits when the first is 0-3, else up to two (max \377).
            const maxLen = e <= '3' ? 3 : 2;
            let j = i + 1;
            while (j < i + 1 + maxLen && text[j] !== undefined && text[j]! >= '0' && text[j]! <= '7') j++;
            out += String.fromCharCode(Number.parseInt(text.slice(i + 1, j), 8));
            i = j;
            break;
          }
          if (e === undefined) throw this.src.error('unterminated string: no closing "', start);
          throw this.src.error(`invalid escape ${describeEscape(text, i)} in string`, i);
        }
      }
      chunk = i;
    }
    out += text.slice(chunk, i);
    return { kind: 'string', text: out, num: 0, start, end: i + 1 };
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function describeChar(text: string, at: number): string {
  const cp = text.codePointAt(at)!;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) || (cp >= 0xd800 && cp < 0xe000)) return hex;
  return `'${String.fromCodePoint(cp)}' (${hex})`;
}

function describeEscape(text: string, at: number): string {
  const cp = text.codePointAt(at + 1)!;
  if (cp < 0x20 || cp === 0x7f) return `'\\' followed by U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'\\${String.fromCodePoint(cp)}'`;
}

/** How an error message names a token: `'->'`, `identifier "foo"`, `string "x"`, `end of input`. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input';
    case 'punct':
      return `'${t.text}'`;
    case 'ident':
      return `identifier "${clip(t.text)}"`;
    case 'string':
      return `string ${JSON.stringify(clip(t.text))}`;
    case 'int':
    case 'float':
      return `number ${clip(t.text)}`;
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
