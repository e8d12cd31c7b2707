import type { DecoratorDef } from '../catalog/types.js';
import { atLeast } from './args.js';
import { compileArgument, ExtractSink } from './regex.js';

/**
 * Splits the body (UTF-8) on a regex and writes token idx to an attribute, "" when there are fewer
 * tokens. Tokens follow Java's String.split, not JavaScript's: capture groups never become tokens, a
 * zero-width match at the start makes no empty first token, and trailing empty tokens do not count.
 */

/** Token `idx` of Java's `s.split(re)`; `re` must carry the g flag. Stops as soon as it is known. */
export function javaSplitToken(re: RegExp, s: string, idx: number): string {
  re.lastIndex = 0;
  let start = 0;
  let token = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const at = m.index;
    const end = at + m[0].length;
    if (end === at) {
      // Step over an empty match by hand, or exec would find it again forever.
      re.lastIndex = at + 1;
      if (at === 0 || at >= s.length) continue;
    }
    if (token === idx) return s.slice(start, at);
    token++;
    start = end;
    if (re.lastIndex > s.length) break;
  }
  // The rest is the last token; when empty it is a trailing empty token, which Java drops: "" either way.
  return token === idx ? s.slice(start) : '';
}

export const splitDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'split',
  docs:
    'Splits the body into tokens on the regular expression (separators are not part of tokens) and ' +
    'writes token idx (0-based) to the attribute attr; an empty value when there are fewer tokens. ' +
    'A simplified awk. The regex uses Java syntax with Java-style escaping: write "\\\\d" in a spec for \\d.',
  params: [
    { name: 'regex', type: 'string', docs: 'Java-style regular expression matching the separators.' },
    { name: 'idx', type: 'int', docs: 'Index of the token to extract (0 = the first).' },
    { name: 'attr', type: 'string', docs: 'Attribute that receives the token.' },
  ],
  build: (args, _ctx, child) => {
    const re = compileArgument(args.component, 'regex', args.string('regex'), 'g');
    const idx = atLeast(args.component, 'idx', args.int('idx'), 0);
    return new ExtractSink(child, args.string('attr'), (text) => javaSplitToken(re, text, idx));
  },
};
