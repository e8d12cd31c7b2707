import { SluiceError } from '../../../src/core/errors.js';
import { parseSink, parseSpec } from '../../../src/spec/parser.js';
import { stripPositions } from '../../../src/spec/positions.js';
import { printSink, printSpec } from '../../../src/spec/printer.js';
import { randomSpec } from '../../support/arbitrary.js';
import { check, type FuzzTarget, OracleFailure } from '../target.js';

const TOKENS = [
  'node',
  'let',
  'in',
  'roll',
  ':',
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
  '"s"',
  '"\\u00e9"',
  '"\\q"',
  '"',
  "'",
  '0',
  '-5',
  '1.5',
  '1e3',
  '0x1f',
  '99999999999999999999',
  '//c\n',
  '/*',
  '*/',
  '\\',
  '\u{1F600}',
  '\0',
  '\n',
  '\r\n',
  '{{{{{{{{',
  '[[[[[[[[',
  '((((((((',
  'collector(1) {',
].map((s) => Buffer.from(s, 'utf8'));

function isSyntaxError(e: unknown, text: string): boolean {
  if (!(e instanceof SluiceError) || e.code !== 'SLUICE_SPEC_SYNTAX') return false;
  const { line, column } = e.place ?? {};
  const lines = text.split(/\r\n|\r|\n/);
  check(
    line !== undefined && line >= 1 && line <= lines.length,
    `syntax error at line ${line} of ${lines.length}`,
  );
  check(
    column !== undefined && column >= 1 && column <= lines[line - 1]!.length + 1,
    `syntax error at column ${column}`,
  );
  return true;
}

export const spec: FuzzTarget = {
  name: 'spec',
  doc:
    'The dataflow language parser (src/spec/parser.ts, lexer.ts). Oracle: a tree or a SLUICE_SPEC_SYNTAX ' +
    'error whose line and column lie inside the text; a tree prints and parses back to itself.',
  valid(rng) {
    return Buffer.from(printSpec(randomSpec(() => rng.float(), 3, 4)), 'utf8');
  },
  dictionary: TOKENS,
  maxInput: 16 * 1024,
  run(input, rng) {
    const text = input.toString('utf8');
    const asSink = rng.chance(0.2);
    let printed: string;
    let tree: unknown;
    try {
      if (asSink) {
        const sink = parseSink(text, 'fuzz.spec');
        tree = stripPositions(sink);
        printed = printSink(sink);
      } else {
        const s = parseSpec(text, 'fuzz.spec');
        tree = stripPositions(s);
        printed = printSpec(s);
      }
    } catch (e) {
      if (isSyntaxError(e, text)) return;
      throw e;
    }
    let again: unknown;
    try {
      again = stripPositions(asSink ? parseSink(printed) : parseSpec(printed));
    } catch (e) {
      throw new OracleFailure(`the printed tree does not parse: ${(e as Error).message}`);
    }
    check(
      JSON.stringify(again) === JSON.stringify(tree),
      `print -> parse changed the tree of ${JSON.stringify(text).slice(0, 200)}`,
    );
  },
  expected: () => false,
};
