import { SluiceError } from '../core/errors.js';

/**
 * Splits a shell line into words the way Flume's shell does: blanks separate words; "double quotes"
 * hold a Java string (its escapes \b \t \n \f \r \" \' \\ \uXXXX and octal are decoded); 'single
 * quotes' hold any characters but ' as they are. Quoted and bare parts next to each other make one word.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new SluiceError('SLUICE_CONFIG', `unterminated single quote at column ${i + 1}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      const [text, end] = javaString(line, i);
      word = (word ?? '') + text;
      i = end;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

const SIMPLE: Record<string, string> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  '"': '"',
  "'": "'",
  '\\': '\\',
};

/** Decodes the Java string starting at the quote `start`; returns it and the index after its quote. */
function javaString(line: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '"') return [out, i + 1];
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = line[i + 1];
    if (e === undefined) break;
    if (SIMPLE[e] !== undefined) {
      out += SIMPLE[e];
      i += 2;
    } else if (e === 'u') {
      const hex = line.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex))
        throw new SluiceError('SLUICE_CONFIG', `\\u needs four hex digits at column ${i + 1}`);
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 6;
    } else if (e >= '0' && e <= '7') {
      // Java octal escapes: up to three digits when the first is 0-3, else up to two.
      const max = e <= '3' ? 3 : 2;
      let j = i + 1;
      while (j < i + 1 + max && line[j] !== undefined && line[j]! >= '0' && line[j]! <= '7') j++;
      out += String.fromCharCode(Number.parseInt(line.slice(i + 1, j), 8));
      i = j;
    } else throw new SluiceError('SLUICE_CONFIG', `invalid escape \\${e} at column ${i + 1}`);
  }
  throw new SluiceError('SLUICE_CONFIG', `unterminated double quote at column ${start + 1}`);
}
