import assert from 'node:assert/strict';
import { test } from 'node:test';
import { view } from './buffers.js';

test('a view is a Buffer over the same memory', () => {
  const chunk = Buffer.from('hello world');
  const v = view(chunk, 6, 11);
  assert.ok(Buffer.isBuffer(v));
  assert.equal(v.toString(), 'world');
  assert.equal(v.toString('hex'), '776f726c64');
  assert.ok(v.equals(Buffer.from('world')));
  assert.equal(v.subarray(1, 3).toString(), 'or');
  assert.equal(Buffer.concat([v, Buffer.from('!')]).toString(), 'world!');
  chunk[6] = 0x57;
  assert.equal(v.toString(), 'World', 'not a copy');
  assert.equal(view(chunk, 3, 3).length, 0);
});
