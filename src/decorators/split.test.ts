import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { compileJavaRegex } from './javaregex.js';
import { javaSplitToken, splitDeco } from './split.js';

/** What Java's "s.split(re)" returns, token by token, as seen through javaSplitToken. */
function tokens(re: string, s: string): string[] {
  const r = compileJavaRegex(re, 'g');
  const out: string[] = [];
  for (let i = 0; i < 10; i++) out.push(javaSplitToken(r, s, i));
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

test('tokens follow Java String.split (expected values come from a JVM)', () => {
  assert.deepEqual(tokens(' ', 'a b c'), ['a', 'b', 'c']);
  assert.deepEqual(tokens(',', 'a,,b'), ['a', '', 'b']);
  assert.deepEqual(tokens(',', ',a'), ['', 'a']);
  assert.deepEqual(tokens('\\s+', '  two  words '), ['', 'two', 'words']);
  assert.deepEqual(tokens('(,)', 'a,b'), ['a', 'b']); // groups never become tokens
  assert.deepEqual(tokens('', 'abc'), ['a', 'b', 'c']); // no empty first token
  // Java (unlike JavaScript) finds an empty match right after a non-empty one: checked against a JVM.
  assert.deepEqual(tokens('x*', 'axxb'), ['a', '', 'b']);
  assert.deepEqual(tokens('(?=b)', 'abab'), ['a', 'ba', 'b']);
  assert.deepEqual(tokens(':', 'nothing'), ['nothing']);
  assert.equal(javaSplitToken(compileJavaRegex(',', 'g'), 'a,b,,,', 2), '');
});

test('split writes the idx-th token to the attribute, "" past the end', async () => {
  const child = new CollectingSink();
  const deco = splitDeco.build(
    BoundArgs.of('split', { regex: '\\|', idx: 2, attr: 'status' }),
    testContext(),
    child,
  );
  await deco.open();
  await deco.append([Event.of('GET|/index|200|512'), Event.of('GET|/x'), Event.of('a||c')]);
  await deco.append([Event.of('POST|/y|500')]);
  assert.deepEqual(
    child.events.map((e) => e.getAttrString('status')),
    ['200', '', 'c', '500'],
  );
});

test('split refuses a bad regex or a negative index', () => {
  const bad = (regex: string, idx: number, field: string) =>
    assert.throws(
      () =>
        splitDeco.build(
          BoundArgs.of('split', { regex, idx, attr: 'a' }),
          testContext(),
          new CollectingSink(),
        ),
      (e: unknown) =>
        e instanceof SluiceError && e.code === 'SLUICE_SPEC_BAD_ARGUMENT' && e.place?.field === field,
    );
  bad('[', 0, 'regex');
  bad(',', -2, 'idx');
});
