import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCheckpoint, encodeCheckpoint } from './codec.js';

test('checkpoint encoding keeps Buffers, Maps and nested values as they were', () => {
  const value = {
    states: [
      ['k', new Map<string, unknown>([['body', Buffer.from([0, 255, 10])]])],
      ['n', 3],
    ],
    plain: { a: [1, 'x', null, true] },
  };
  const back = decodeCheckpoint(encodeCheckpoint(value)) as typeof value;
  assert.deepEqual(back, value);
  const m = back.states[0]![1] as Map<string, Buffer>;
  assert.ok(m instanceof Map);
  assert.ok(Buffer.isBuffer(m.get('body')));
  assert.deepEqual([...m.get('body')!], [0, 255, 10]);
});
