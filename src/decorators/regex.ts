import type { DecoratorDef } from '../catalog/types.js';
import { type Batch, bodyTexts } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { DecoratorSink } from '../core/pipeline.js';
import { atLeast, badArgument } from './args.js';
import { compileJavaRegex, groupCount, JavaRegexError } from './javaregex.js';

/**
 * Writes the idx-th group of the first match of a regex in the body (UTF-8) to an attribute. No match
 * writes "" (Flume's behaviour), so downstream escapes see the attribute either way.
 */
/**
 * Writes one attribute per event from its body as text: the shape regex and split share (one
 * compiled pattern, one pass over the batch, no per-event closure).
 */
export class ExtractSink extends DecoratorSink {
  constructor(
    child: EventSink,
    private readonly attr: string,
    private readonly extract: (text: string) => string,
  ) {
    super(child);
  }

  /**
   * Extracted values repeat (status codes, levels, hosts): short ones share one Buffer per distinct
   * text, which attribute values allow since they are never changed in place.
   */
  private readonly values = new Map<string, Buffer>();

  append(batch: Batch): void | Promise<void> {
    const { attr, extract, values } = this;
    const texts = bodyTexts(batch);
    for (let i = 0; i < batch.length; i++) {
      const v = extract(texts[i]!);
      let buf = v.length <= 32 ? values.get(v) : undefined;
      if (buf === undefined) {
        buf = Buffer.from(v);
        if (v.length <= 32) {
          if (values.size >= 4096) values.clear();
          values.set(v, buf);
        }
      }
      batch[i]!.setAttr(attr, buf);
    }
    return this.child.append(batch);
  }
}

/** The idx-th group of the first match, or "" when nothing matches. */
export function regexGroup(re: RegExp, idx: number): (text: string) => string {
  return (text) => {
    const m = re.exec(text);
    return m ? (m[idx] ?? '') : '';
  };
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
    return new ExtractSink(child, args.string('attr'), regexGroup(re, idx));
  },
};
