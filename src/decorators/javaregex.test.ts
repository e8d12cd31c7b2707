import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileJavaRegex, groupCount, JavaRegexError, translateJavaRegex } from './javaregex.js';

const first = (pattern: string, s: string): string | undefined => compileJavaRegex(pattern).exec(s)?.[0];

test('common Java syntax means the same after translation', () => {
  assert.equal(first('(\\d+):(\\d+)', 'at 12:34'), '12:34');
  assert.equal(first('\\w+@\\w+\\.com', 'mail bob@example.com now'), 'bob@example.com');
  assert.equal(first('(?<user>[a-z]+)=\\k<user>', 'x ab=ab'), 'ab=ab');
  assert.equal(first('(?<=\\$)\\d+', 'cost $45'), '45');
  assert.equal(first('a{2,3}', 'caaaab'), 'aaa');
});

test('Java-only constructs are rewritten', () => {
  assert.equal(first('\\Q1+1=2?\\E!', 'is 1+1=2?!'), '1+1=2?!');
  assert.equal(first('\\Qa.b', 'aXb a.b'), 'a.b');
  assert.equal(first('\\p{Alpha}+\\p{Digit}', '--abc1--'), 'abc1');
  assert.equal(first('[\\p{Upper}_]+', 'ab_CD_e'), '_CD_');
  assert.equal(first('\\P{Digit}+', '12ab34'), 'ab');
  assert.equal(first('\\p{L}+', '12 héllo'), 'héllo');
  assert.equal(first('\\p{IsLatin}+', 'ωmega'), 'mega');
  assert.equal(first('\\Aab', 'ab'), 'ab');
  assert.equal(first('\\Aab', 'xab'), undefined);
  assert.equal(first('ab\\z', 'ab\n'), undefined);
  assert.equal(first('ab\\Z', 'ab\n'), 'ab');
  assert.equal(first('a\\h+b', 'a \t b'), 'a \t b');
  assert.equal(first('\\e\\a', '\x1b\x07'), '\x1b\x07');
  assert.equal(first('\\0101\\x{42}', 'AB'), 'AB');
  assert.equal(first('a\\R', 'a\r\n'), 'a\r\n');
  assert.equal(first('(?i)error', 'ERROR'), 'ERROR');
  assert.equal(first('(?s)a.b', 'a\nb'), 'a\nb');
  assert.equal(first('[]a]+', 'x]a]'), ']a]');
  assert.equal(first('a]', 'a]'), 'a]');
  assert.equal(first('\\-\\#\\_', '-#_'), '-#_');
  assert.equal(first('x{', 'x{'), 'x{');
  assert.deepEqual(translateJavaRegex('(?is)x'), { source: 'x', flags: 'is' });
});

test('constructs JavaScript cannot express are refused with the reason and index', () => {
  const refused: [string, RegExp][] = [
    ['a++', /possessive quantifiers are not supported at index 2/],
    ['a{2}+', /possessive/],
    ['(?>ab)', /atomic groups/],
    ['a(?i)b', /inline flags are only supported at the start/],
    ['[a-z&&[^e]]', /intersections/],
    ['[a[b]]', /nested character classes/],
    ['\\Gx', /\\G/],
    ['\\p{InGreek}', /Unicode blocks/],
    ['\\p{javaLowerCase}', /java.lang.Character/],
    ['\\y', /unknown escape \\y at index 0/],
    ['(?x)a b', /inline flag \(\?x\)/],
    ['[abc', /unclosed character class/],
    ['abc\\', /trailing backslash/],
    ['(ab', /Unterminated group|unterminated/i],
    ['*a', /Nothing to repeat/i],
  ];
  for (const [pattern, why] of refused) {
    assert.throws(
      () => compileJavaRegex(pattern),
      (e: unknown) => e instanceof JavaRegexError && why.test(e.message),
      pattern,
    );
  }
});

test('groupCount counts capture groups but not non-capturing ones', () => {
  assert.equal(groupCount(compileJavaRegex('(a)(?:b)(?<n>c)(?=d)')), 2);
  assert.equal(groupCount(compileJavaRegex('x', 'g')), 0);
});
