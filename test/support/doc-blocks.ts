/**
 * The examples of the documentation, as test/docs-examples.test.ts checks them. The convention
 * (docs/testing.md):
 *
 * - A fenced block tagged `spec` is a dataflow spec, `properties` an agent file, `sh` (or `bash`,
 *   `shell`) shell commands. An untagged block is checked too when it looks like one of the first two
 *   (every statement `name : source | sink ;`, or `a1.sources = ...` style keys that list components),
 *   so a forgotten tag does not hide a broken example. Any other tag (`text`, `ts`, `xml`) is prose.
 * - `<!-- docs-test: skip -->` on the line before the opening fence opts a block out (a fragment, an
 *   error message, a placeholder); say why after the colon if it is not obvious.
 * - Files in examples/: `*.conf` are agent files, `*.spec` dataflow specs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type BlockKind = 'spec' | 'properties' | 'sh';

export interface DocBlock {
  /** Repository-relative file. */
  file: string;
  /** 1-based line of the block's first content line. */
  line: number;
  kind: BlockKind;
  text: string;
}

const TAGS: Record<string, BlockKind> = {
  spec: 'spec',
  properties: 'properties',
  sh: 'sh',
  bash: 'sh',
  shell: 'sh',
};
const OPT_OUT = /^<!--\s*docs-test:\s*skip\b/;

/** Lines that carry content: blank lines and comments (`//` after a blank, `#`, one-line block comments) dropped. */
function contentLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) =>
      l
        .replace(/\/\*.*?\*\//g, '')
        .replace(/(^|\s)\/\/.*$/, '')
        .trim(),
    )
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** Every statement (they may span lines) is `name : source | sink`, and the last one ends with `;`. */
function looksLikeSpec(text: string): boolean {
  const joined = contentLines(text).join(' ');
  const stmts = joined.split(';').map((s) => s.trim());
  return joined.endsWith(';') && stmts.slice(0, -1).every((s) => /^[A-Za-z_][\w-]*\s*:[^|]*\|/.test(s));
}

function looksLikeAgentFile(text: string): boolean {
  const lines = contentLines(text);
  return (
    lines.length > 0 &&
    lines.every((l) => /^[\w.-]+\s*[=:]/.test(l)) &&
    lines.some((l) => /^[\w-]+\.(sources|channels|sinks)\s*=/.test(l))
  );
}

/** The checked blocks of one Markdown text. */
export function extractBlocks(markdown: string, file: string): DocBlock[] {
  const out: DocBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const tag = open[3]!.toLowerCase();
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) end++;
    const text = lines.slice(i + 1, end).join('\n');
    const optOut = i > 0 && OPT_OUT.test(lines[i - 1]!.trim());
    const kind: BlockKind | undefined =
      tag !== ''
        ? TAGS[tag]
        : looksLikeSpec(text)
          ? 'spec'
          : looksLikeAgentFile(text)
            ? 'properties'
            : undefined;
    if (kind !== undefined && !optOut) out.push({ file, line: i + 2, kind, text });
    i = end;
  }
  return out;
}

/** Every checked example of README.md, docs/*.md and examples/, in a stable order. */
export function documentationExamples(repo: string): DocBlock[] {
  const md = [
    'README.md',
    ...readdirSync(join(repo, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const blocks = md.sort().flatMap((f) => extractBlocks(readFileSync(join(repo, f), 'utf8'), f));
  for (const f of readdirSync(join(repo, 'examples')).sort()) {
    const kind: BlockKind | undefined = f.endsWith('.conf')
      ? 'properties'
      : f.endsWith('.spec')
        ? 'spec'
        : undefined;
    if (kind)
      blocks.push({
        file: `examples/${f}`,
        line: 1,
        kind,
        text: readFileSync(join(repo, 'examples', f), 'utf8'),
      });
  }
  return blocks;
}

/** Splits a command line into words: single and double quotes, backslash escapes, `#` comments. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let w: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      w = (w ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let s = '';
      for (i++; i < line.length && line[i] !== '"'; i++) s += line[i] === '\\' ? line[++i] : line[i];
      w = (w ?? '') + s;
    } else if (c === '\\') w = (w ?? '') + line[++i];
    else if (/\s/.test(c)) {
      if (w !== undefined) words.push(w);
      w = undefined;
    } else if (c === '#' && w === undefined) break;
    else w = (w ?? '') + c;
  }
  if (w !== undefined) words.push(w);
  return words;
}
