import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { isSluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { lastPathSlash, PathPattern } from './path-pattern.js';

const ev = (host: string, attrs: Record<string, string> = {}) => Event.of('x', { host, attrs });

function refused(f: () => unknown, code: string, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(isSluiceError(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

test('the fixed directory is the text before the first escape, cut at its last slash', () => {
  assert.equal(new PathPattern('file:///data/%{host}/', '%{host}-').root.path, '/data');
  assert.equal(new PathPattern('hdfs://nn:9870/flume/web-%Y', 'x').root.path, '/flume');
  assert.equal(new PathPattern('hdfs://nn/flume/%Y', 'x').root.host, 'nn');
  assert.equal(new PathPattern('/data/raw', 'access-%{rolltag}.log').root.path, '/data/raw');
  // Relative: the working directory, and no value can make the path absolute.
  const rel = new PathPattern('%{a}/logs', 'f');
  assert.equal(rel.root.path, resolve('.'));
  const key = rel.key(ev('h', { a: '' }));
  assert.equal(rel.locate(key).parent, './%00/logs');
  assert.equal(rel.locate(rel.key(ev('h', { a: 'file:' }))).parent, './file:/logs');
});

test('hostile values stay under the fixed directory and are counted once per event', () => {
  const p = new PathPattern('file:///data/%{host}/', '%{host}-');
  const loc = p.locate(p.key(ev('../../escape1')));
  assert.deepEqual(loc, { parent: 'file:///data/%2E.%2F..%2Fescape1/', base: '%2E.%2F..%2Fescape1-' });
  p.locate(p.key(ev('a\u0000b')));
  p.locate(p.key(ev('web1')));
  assert.equal(p.confined, 2);
});

test("a template's own .. after an escape cannot leave the directory: SLUICE_PATH_ESCAPE", () => {
  const p = new PathPattern('/data/%{a}/../..', 'f');
  refused(
    () => p.locate(p.key(ev('h', { a: 'x' }))),
    'SLUICE_PATH_ESCAPE',
    /"\/data\/x\/..\/..\/f" is not under \/data/,
  );
  // Staying inside is fine, even through ..
  const q = new PathPattern('/data/%{a}/..', 'f');
  assert.equal(q.locate(q.key(ev('h', { a: 'x' }))).parent, '/data/x/..');
});

test('escapes in a URI scheme or namenode, and control characters in a pattern, fail when built', () => {
  refused(() => new PathPattern('hdfs://nn%{a}/x', 'f'), 'SLUICE_SPEC_BAD_ARGUMENT', /host of a URI/);
  refused(() => new PathPattern('file://%{a}/x', 'f'), 'SLUICE_SPEC_BAD_ARGUMENT', /host of a URI/);
  refused(() => new PathPattern('file:%{a}', 'f'), 'SLUICE_SPEC_BAD_ARGUMENT', /after the directory/);
  refused(() => new PathPattern('/x\u0000y/%{a}', 'f'), 'SLUICE_SPEC_BAD_ARGUMENT', /control character/);
  refused(() => new PathPattern('/x/%Q', 'f'), 'SLUICE_ESCAPE', /unknown escape/);
});

test('lastPathSlash skips slashes inside attribute names', () => {
  assert.equal(lastPathSlash('/a/b-%{x/y}'), 2);
  assert.equal(lastPathSlash('%{a/b}'), -1);
  assert.equal(lastPathSlash('/a/%%/b'), 5);
});
