import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shellWords } from './shell-words.js';

test('blanks split words; double quotes are Java strings; single quotes are raw', () => {
  assert.deepEqual(shellWords('  exec  config n1 console  '), ['exec', 'config', 'n1', 'console']);
  assert.deepEqual(shellWords(`config n1 'text("a b")' "console(\\"raw\\")"`), [
    'config',
    'n1',
    'text("a b")',
    'console("raw")',
  ]);
  assert.deepEqual(shellWords(`"a\\tb\\u0041\\101\\\\" 'a\\tb'`), ['a\tbAA\\', 'a\\tb']);
  assert.deepEqual(shellWords(`pre'mid dle'"post"`), ['premid dlepost']);
  assert.deepEqual(shellWords(`'' ""`), ['', '']);
});

test('unterminated quotes and bad escapes are errors with their column', () => {
  assert.throws(() => shellWords(`config 'abc`), /unterminated single quote at column 8/);
  assert.throws(() => shellWords(`config "abc`), /unterminated double quote at column 8/);
  assert.throws(() => shellWords(`"\\q"`), /invalid escape \\q at column 2/);
  assert.throws(() => shellWords(`"\\u12"`), /four hex digits/);
});
