import type { DecoratorDef } from '../catalog/types.js';
import { type Batch, bodyText } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { atLeast, badArgument } from './args.js';
import { compileJavaRegex, groupCount, JavaRegexError } from './javaregex.js';

/**
 * Writes the idx-th group of the first match of a regex in the body (UTF-8) to an attribute. No match
 * writes "" (Flume's behaviour), so downstream escapes see the attribute either way.
 */
export class RegexSink extends DecoratorSink {
  constructor(
    child: EventSink,
    private readonly re: RegExp,
    private readonly idx: number,
    private readonly attr: string,
  ) {
    super(child);
  }

  append(batch: Batch): void | Promise<void> {
    const { re, idx, attr } = this;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      const m = re.exec(bodyText(e.body));
      e.setAttr(attr, m ? (m[idx] ?? '') : '');
    }
    return this.child.append(batch);
  }
}

/** Compiles a Java-style pattern given as a decorator argument; any problem names the argument. */
export function compileArgument(component: string, field: string, pattern: string, flags = ''): RegExp {
  try {
    return compileJavaRegex(pattern, flags);
  } catch (e) {
    const why = e instanceof JavaRegexError ? e.message : String(e);
    throw badArgument(component, field, `bad regular expression "${pattern}": ${why}`, e);
  }
}

export const regexDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'regex',
  docs:
    'Applies the regular expression to the body, takes the idx-th capture group of the first match ' +
    '(0 is the whole match) and writes it to the attribute attr; an empty value when nothing matches. ' +
    'The regex uses Java syntax with Java-style escaping: write "\\\\d" in a spec for \\d.',
  params: [
    { name: 'regex', type: 'string', docs: 'Java-style regular expression searched for in the body.' },
    { name: 'idx', type: 'int', docs: 'Capture group to extract (0 = the whole match).' },
    { name: 'attr', type: 'string', docs: 'Attribute that receives the extracted text.' },
  ],
  build: (args, _ctx, child) => {
    const re = compileArgument(args.component, 'regex', args.string('regex'));
    const idx = atLeast(args.component, 'idx', args.int('idx'), 0);
    const groups = groupCount(re);
    if (idx > groups) {
      throw badArgument(
        args.component,
        'idx',
        `idx ${idx} is out of range: "${args.string('regex')}" has ${groups} capture group${groups === 1 ? '' : 's'}`,
      );
    }
    return new RegexSink(child, re, idx, args.string('attr'));
  },
};
