// Every dataflow example of the user guide (the seed) that names a disk-failover or best-effort
// component, validated as `sluice validate` does. The guide's text is kept; where it cannot run as
// printed the change is named: `logicalSink` (placed by the master) becomes `rpcSink` to the same
// name, and the `->` in the DFO translation is the guide's typo for `=>`. Examples naming end-to-end
// components are in guide-e2e-examples.test.ts; those of auto*Chain wait for the master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSink } from '../../src/spec/parser.js';
import { printSink } from '../../src/spec/printer.js';
import { translationText, validateExample } from '../support/reliability.js';

/** The guide's line number and text. */
const EXAMPLES: [number, string][] = [
  [1490, 'node2 : tail("foo") | agentDFOSink("bar");'],
  [1491, 'node3 : tail("foo") | agentBESink("bar");'],
  [
    1497,
    'node2 : tail("foo") | let primary := { lazyOpen => {stubbornAppend => rpcSink("bar") } } in < primary ? { diskFailover => { insistentOpen => primary} } >;',
  ],
  [1499, 'node3 : tail("foo") | { lazyOpen => { stubbornAppend =>  rpcSink("bar")  } };'],
];

/** The catalog's spellings (lines 1748-1764, 1841): every optional argument left out and given. */
const CATALOG_FORMS = [
  'agentDFOSink',
  'agentDFOSink("m")',
  'agentDFOSink("m", 35853)',
  'agentBESink',
  'agentBESink("m")',
  'agentBESink("m", 35853)',
  'agentDFOChain("m1")',
  'agentDFOChain("m1:35853", "m2:35854", "m3")',
  'agentBEChain("m1:35853", "m2")',
  '{ diskFailover => console }',
  '{ diskFailover(5000) => console }',
  '{ insistentAppend => console }',
];

for (const [line, text] of EXAMPLES) {
  test(`guide line ${line} validates: ${text.slice(0, 60)}`, () => {
    assert.equal(validateExample(text).length, 1);
  });
}

for (const form of CATALOG_FORMS) {
  test(`catalog form validates: ${form}`, () => {
    validateExample(`n : null | ${form} ;`);
  });
}

test('agentDFOSink runs as the guide translation (line 1497) and agentBESink is shown as line 1499', () => {
  const dfo = /\| (let .*);$/.exec(EXAMPLES[2]![1])![1]!;
  assert.equal(
    translationText('agentDFOSink("bar")'),
    printSink(parseSink(dfo)).replace('"bar"', '"bar", 35853'),
  );
  // What runs is the translation: the compiled node prints as it.
  assert.deepEqual(validateExample(EXAMPLES[0]![1]), [
    `node2 : tail("foo") | ${translationText('agentDFOSink("bar")')};`,
  ]);
  const be = /\| (\{.*\});$/.exec(EXAMPLES[3]![1])![1]!;
  assert.equal(
    translationText('agentBESink("bar")'),
    printSink(parseSink(be)).replace('"bar"', '"bar", 35853'),
  );
});
