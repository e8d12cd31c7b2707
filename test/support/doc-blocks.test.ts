import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractBlocks, shellWords } from './doc-blocks.js';

const fence = '```';

test('tagged blocks are taken by their tag; prose tags and opted-out blocks are not', () => {
  const md = [
    `${fence}spec`,
    'n : null | null ;',
    fence,
    `${fence}properties`,
    'a1.sources = r1',
    fence,
    `${fence}sh`,
    'npx sluice help',
    fence,
    `${fence}text`,
    'n : null | null ;',
    fence,
    '<!-- docs-test: skip (a fragment) -->',
    `${fence}spec`,
    'n : broken',
    fence,
  ].join('\n');
  assert.deepEqual(
    extractBlocks(md, 'x.md').map((b) => [b.kind, b.line, b.text]),
    [
      ['spec', 2, 'n : null | null ;'],
      ['properties', 5, 'a1.sources = r1'],
      ['sh', 8, 'npx sluice help'],
    ],
  );
});

test('untagged blocks that look like a spec or an agent file are checked; other untagged ones are not', () => {
  const md = [
    fence,
    'a : text("x") |',
    '  { batch(10) => console } ;   // a comment',
    'b : null | null ;',
    fence,
    fence,
    '# an agent',
    'a1.sources = r1',
    'a1.sources.r1.type = seq',
    fence,
    fence,
    'agent.sinks.k.type = avro',
    fence,
    fence,
    'collectorSink: fsdir: unknown escape "%Q"',
    fence,
  ].join('\n');
  assert.deepEqual(
    extractBlocks(md, 'y.md').map((b) => b.kind),
    ['spec', 'properties'],
  );
});

test('shell words: quotes, escapes and comments', () => {
  assert.deepEqual(shellWords(`npx sluice dump 'tail("a b", x=true)' --format raw   # comment`), [
    'npx',
    'sluice',
    'dump',
    'tail("a b", x=true)',
    '--format',
    'raw',
  ]);
  assert.deepEqual(shellWords('a "b \\"c\\"" d\\ e f#g'), ['a', 'b "c"', 'd e', 'f#g']);
  assert.throws(() => shellWords("a 'b"), /unterminated quote/);
});
