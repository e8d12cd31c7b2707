import { SluiceError } from '../core/errors.js';

/** One `key = value` of a properties file with where it was written. */
export interface Property {
  key: string;
  value: string;
  line: number;
  /** Column (1-based) where the value starts, for errors about the value. */
  valueColumn: number;
}

/**
 * Java .properties syntax as Flume reads agent files: `key = value`, `key: value` or `key value`;
 * `#` and `!` comment lines; a trailing backslash continues the logical line; `\t \n \r \f \uXXXX` and
 * escaped separators in keys. A later duplicate key wins in Java; here it is reported, because in an
 * agent file it is almost always a mistake.
 */
export function parseProperties(text: string, file: string): Property[] {
  const out: Property[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i]!.replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    const indent = lines[startLine - 1]!.length - lines[startLine - 1]!.replace(/^[ \t\f]+/, '').length;
    let k = 0;
    let key = '';
    while (k < logical.length) {
      const c = logical[k]!;
      if (c === '\\' && k + 1 < logical.length) {
        key += logical[k + 1];
        k += 2;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
      k++;
    }
    while (k < logical.length && /[ \t\f]/.test(logical[k]!)) k++;
    if (logical[k] === '=' || logical[k] === ':') k++;
    while (k < logical.length && /[ \t\f]/.test(logical[k]!)) k++;
    const value = unescapeValue(logical.slice(k), file, startLine).trimEnd();
    const prev = seen.get(key);
    if (prev !== undefined)
      throw new SluiceError('SLUICE_AGENT_CONFIG', `${key} is set twice (first on line ${prev})`, {
        place: { file, line: startLine, field: key },
      });
    seen.set(key, startLine);
    out.push({ key, value, line: startLine, valueColumn: indent + k + 1 });
  }
  return out;
}

function endsWithContinuation(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function unescapeValue(s: string, file: string, line: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i]!;
    if (n === 'u') {
      const hex = s.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex))
        throw new SluiceError('SLUICE_AGENT_CONFIG', `malformed \\u escape "\\u${hex}"`, {
          place: { file, line },
        });
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else out += n === 't' ? '\t' : n === 'n' ? '\n' : n === 'r' ? '\r' : n === 'f' ? '\f' : n;
  }
  return out;
}
