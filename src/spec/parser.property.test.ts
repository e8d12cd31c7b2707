import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pick, type Rng, randomSink, randomSpec, seededRng } from '../../test/support/arbitrary.js';
import { SluiceError } from '../core/errors.js';
import type { SinkNode, Spec } from './ast.js';
import { parseSink, parseSpec } from './parser.js';
import { stripPositions } from './positions.js';
import { printSink, printSpec } from './printer.js';

// Fragments of the language (and near misses) so random texts reach deep into the grammar.
const TOKENS = [
  'a',
  'node',
  'tail',
  'console',
  'let',
  'in',
  'roll',
  'true',
  'false',
  'x-1.y',
  ':',
  ':=',
  '|',
  ';',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '<',
  '>',
  '?',
  '=',
  '=>',
  '->',
  '-',
  '"s"',
  '"\\n"',
  '"\\u00e9"',
  '"\\q"',
  '"',
  "'",
  "'raw'",
  '0',
  '-5',
  '1.5',
  '1e3',
  '0x1f',
  '99999999999999999999',
  '//c\n',
  '#c\n',
  '/*c*/',
  '/*',
  '*/',
  ' ',
  ' ',
  ' ',
  '\n',
  '\t',
  '\r\n',
  '\\',
  '@',
  '$',
  '.',
  '😀',
  '\ud800',
  '\0',
];

function randomText(rng: Rng): string {
  let text = '';
  const n = Math.floor(rng() * 40);
  for (let i = 0; i < n; i++) {
    if (rng() < 0.15) text += String.fromCharCode(Math.floor(rng() * 0x10000));
    else if (rng() < 0.05) text += String.fromCharCode(Math.floor(rng() * 0x80));
    else text += pick(rng, TOKENS);
  }
  return text;
}

/** A valid text with one random edit: the most likely shape of a real typo. */
function mutate(rng: Rng, text: string): string {
  const at = Math.floor(rng() * (text.length + 1));
  const r = rng();
  if (r < 0.4) return text.slice(0, at) + text.slice(at + 1);
  if (r < 0.8) return text.slice(0, at) + pick(rng, TOKENS) + text.slice(at);
  return text.slice(0, at) + pick(rng, TOKENS) + text.slice(at + 1);
}

/** Parsing either succeeds (and then round-trips through the printer) or throws a well-formed syntax error. */
function check(text: string, asSink = false): void {
  let tree: Spec | SinkNode;
  try {
    tree = asSink ? parseSink(text, 'fuzz.spec') : parseSpec(text, 'fuzz.spec');
  } catch (e) {
    if (!(e instanceof SluiceError)) assert.fail(`${JSON.stringify(text)} threw ${String(e)}`);
    assert.equal(e.code, 'SLUICE_SPEC_SYNTAX', JSON.stringify(text));
    const { line, column } = e.place ?? {};
    const lines = text.split(/\r\n|\r|\n/);
    assert.ok(
      line !== undefined && line >= 1 && line <= lines.length,
      `line ${line} in ${JSON.stringify(text)}`,
    );
    assert.ok(
      column !== undefined && column >= 1 && column <= lines[line - 1]!.length + 1,
      `column ${column} in ${JSON.stringify(text)}`,
    );
    assert.match(e.message, /\S/);
    assert.ok(e.detail?.endsWith('^'), JSON.stringify(e.detail));
    return;
  }
  const again = 'nodes' in tree ? parseSpec(printSpec(tree)) : parseSink(printSink(tree));
  assert.deepEqual(stripPositions(again), stripPositions(tree), JSON.stringify(text));
}

test('random texts never throw anything but a positioned syntax error', () => {
  const rng = seededRng(0x5eed);
  // CPU time, not wall time: a loaded machine stretches the latter; runaway backtracking shows in both.
  const started = process.cpuUsage();
  let parsed = 0;
  for (let i = 0; i < 6000; i++) {
    const text = randomText(rng);
    const asSink = i % 2 === 1;
    try {
      if (asSink) parseSink(text);
      else parseSpec(text);
      parsed++;
    } catch {}
    check(text, asSink);
  }
  // Mostly garbage, but a few random texts do parse and then must round trip.
  assert.ok(parsed > 0, 'no random text parsed: the generator is too weak');
  const used = process.cpuUsage(started);
  const ms = (used.user + used.system) / 1000;
  assert.ok(ms < 5000, `took ${Math.round(ms)} ms of CPU`);
});

test('valid specs with one random edit fail cleanly or parse and round trip', () => {
  const rng = seededRng(42);
  let failed = 0;
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const text = mutate(rng, printSpec(randomSpec(rng, 2, 3)));
    try {
      parseSpec(text);
      parsed++;
    } catch {
      failed++;
    }
    check(text);
  }
  assert.ok(failed > 300 && parsed > 300, `failed ${failed}, parsed ${parsed}`);
});

test('random valid trees: print -> parse -> equal', () => {
  const rng = seededRng(1234);
  for (let i = 0; i < 2000; i++) {
    const tree = randomSink(rng, 6);
    const printed = printSink(tree);
    assert.deepEqual(stripPositions(parseSink(printed)), stripPositions(tree), printed);
  }
});
