import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type OptionSpec, optList, optString, parseArgs, renderOptions, UsageError } from './args.js';

const SPECS: OptionSpec[] = [
  { name: 'one-shot', short: '1', flag: true, help: 'one shot' },
  { name: 'spec', short: 'e', value: 'SPEC', help: 'inline spec', deprecated: ['-c', '--config'] },
  { name: 'file', short: 'f', value: 'FILE', repeatable: true, aliases: ['--conf-file'], help: 'file' },
  { name: 'format', choices: ['raw', 'debug'], default: 'debug', help: 'format' },
  { name: 'lines', positiveInt: true, help: 'lines' },
];

test('values after the flag or after =, repeatable lists, aliases, and -- ending the options', () => {
  const p = parseArgs(['-1', '--spec=a : b ;', '-f', 'x', '--conf-file', 'y', '--', '-z', 'w'], SPECS);
  assert.equal(p.options.get('one-shot'), true);
  assert.equal(optString(p, 'spec'), 'a : b ;');
  assert.deepEqual(optList(p, 'file'), ['x', 'y']);
  assert.deepEqual(p.positionals, ['-z', 'w']);
  assert.deepEqual(p.warnings, []);
});

test('a deprecated spelling works and says which one to use', () => {
  const p = parseArgs(['-c', 'n : null | null ;'], SPECS);
  assert.equal(optString(p, 'spec'), 'n : null | null ;');
  assert.deepEqual(p.warnings, ['-c is deprecated; use -e/--spec (same meaning)']);
});

test('a lone dash and negative numbers are arguments, not options', () => {
  assert.deepEqual(parseArgs(['-', '-5'], SPECS).positionals, ['-', '-5']);
});

test('what cannot be understood is a UsageError naming the option and what it wants', () => {
  const refuse = (argv: string[], re: RegExp) =>
    assert.throws(
      () => parseArgs(argv, SPECS),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
    );
  refuse(['--fromat', 'raw'], /^unknown option --fromat \(did you mean --format\?\)$/);
  refuse(['-x'], /^unknown option -x$/);
  refuse(['--format', 'xml'], /^--format must be one of raw, debug \(got "xml"\)$/);
  refuse(['--lines', '0'], /positive integer \(got "0"\)/);
  refuse(['--lines', '1e3'], /positive integer/);
  refuse(['-e'], /^option -e needs SPEC$/);
  refuse(['--one-shot=yes'], /takes no value/);
});

test('help lists spellings, value, accepted values, default and deprecated spellings', () => {
  const lines = renderOptions(SPECS).join('\n');
  assert.match(lines, /^ {2}-1, --one-shot {15}one shot$/m);
  assert.match(lines, /-f, --file, --conf-file FILE/);
  assert.match(lines, /--format VALUE .*format \(one of: raw, debug; default: debug\)/);
  assert.match(lines, /inline spec \(deprecated: -c, --config\)/);
});
