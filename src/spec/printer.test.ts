import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomSink, randomSpec, seededRng } from '../../test/support/arbitrary.js';
import { parseSink, parseSource, parseSpec } from './parser.js';
import { stripPositions } from './positions.js';
import { printCall, printSink, printSpec, quoteJava } from './printer.js';

/** Parses, prints, parses again: the trees must match and the printed text must be a fixed point. */
function roundTrip(text: string): string {
  const tree = parseSink(text);
  const printed = printSink(tree);
  const again = parseSink(printed);
  assert.deepEqual(stripPositions(again), stripPositions(tree), `round trip of ${text} via ${printed}`);
  assert.equal(printSink(again), printed);
  return printed;
}

describe('spec printer', () => {
  test('canonical forms', () => {
    const cases: [string, string][] = [
      ['console', 'console'],
      ['console()', 'console()'],
      ['  tail( "a.log" ,startFromEnd = true )', 'tail("a.log", startFromEnd=true)'],
      ['[a,b,  c]', '[ a, b, c ]'],
      ['{batch(100)=>{gzip=>k}}', '{ batch(100) => gzip => k }'],
      ['{ a => b => k }', '{ a => b => k }'],
      ['{ k }', 'k'],
      ['<a?b>', '< a ? b >'],
      ['< a ? < b ? c > >', '< a ? b ? c >'],
      ['< < a ? b > ? c >', '< < a ? b > ? c >'],
      ['roll(1000) k', 'roll(1000) { k }'],
      ['roll(1000) { d => k }', 'roll(1000) { d => k }'],
      ['roll(1000) [ a, b ]', 'roll(1000) { [ a, b ] }'],
      ['roll(1, tag="t") k', 'roll(1, tag="t") { k }'],
      ['let p := a in < p ? { d => p } >', 'let p := a in < p ? { d => p } >'],
      ['let p := a in { p }', 'let p := a in p'],
      [
        'f(1, -2, 1.5, -0.0, 1e21, 2E-3, 0x10, true, false)',
        'f(1, -2, 1.5, -0.0, 1e+21, 0.002, 16, true, false)',
      ],
      ['f(3.0)', 'f(3.0)'],
      ["f('raw\\n')", 'f("raw\\\\n")'],
      ['f("\\101\\u00e9\\t")', 'f("Aé\\t")'],
    ];
    for (const [input, expected] of cases) assert.equal(roundTrip(input), expected, input);
  });

  test('a spec prints one node per line', () => {
    const text = 'a : tail("x") | console; b-1.x : null | { batch(2) => [ k, m ] }';
    const printed = printSpec(parseSpec(text));
    assert.equal(printed, 'a : tail("x") | console;\nb-1.x : null | { batch(2) => [ k, m ] };');
    assert.deepEqual(stripPositions(parseSpec(printed)), stripPositions(parseSpec(text)));
    assert.equal(printSpec({ nodes: [] }), '');
  });

  test('printCall keeps parentheses as written', () => {
    assert.equal(printCall(parseSource('logicalSource')), 'logicalSource');
    assert.equal(printCall(parseSource('logicalSource()')), 'logicalSource()');
  });

  test('strings use Java escapes and survive any characters', () => {
    assert.equal(quoteJava('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(quoteJava('\n\t\r\b\f'), '"\\n\\t\\r\\b\\f"');
    assert.equal(quoteJava('\0\x1f\x7f\u0085\u2028'), '"\\u0000\\u001f\\u007f\\u0085\\u2028"');
    assert.equal(quoteJava('é日😀'), '"é日😀"');
    assert.equal(quoteJava('\ud800x\udc00'), '"\\ud800x\\udc00"');
    assert.equal(quoteJava("it's"), '"it\'s"');
    for (let c = 0; c < 0x10000; c += 7) {
      const value = `<${String.fromCharCode(c)}>`;
      assert.equal(parseSource(`f(${quoteJava(value)})`).args[0]!.value, value);
    }
  });

  test('random trees print and parse back to themselves', () => {
    const rng = seededRng(20240601);
    for (let i = 0; i < 1500; i++) {
      const tree = randomSink(rng, 5);
      const printed = printSink(tree);
      let back: ReturnType<typeof parseSink>;
      try {
        back = parseSink(printed);
      } catch (e) {
        assert.fail(`case ${i}: ${printed}\n${String(e)}`);
      }
      assert.deepEqual(stripPositions(back), stripPositions(tree), `case ${i}: ${printed}`);
    }
  });

  test('random specs print and parse back to themselves', () => {
    const rng = seededRng(7);
    for (let i = 0; i < 300; i++) {
      const spec = randomSpec(rng);
      const printed = printSpec(spec);
      assert.deepEqual(stripPositions(parseSpec(printed)), stripPositions(spec), `case ${i}: ${printed}`);
    }
  });
});
