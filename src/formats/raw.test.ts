import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleEvents } from '../../test/support/sample-events.js';
import { rawFormat } from './raw.js';

test('raw: each body byte for byte, then a newline; no header or footer', () => {
  const f = rawFormat.create();
  const events = sampleEvents();
  const out = f.encode(events);
  const want = Buffer.concat(events.flatMap((e) => [e.body, Buffer.from('\n')]));
  assert.deepEqual(out, want);
  assert.equal(f.header().length, 0);
  assert.equal(f.footer().length, 0);
  assert.equal(f.encode([]).length, 0);
});
