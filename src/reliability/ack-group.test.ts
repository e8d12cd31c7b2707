import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { makeBatch } from '../../test/mocks/sinks.js';
import { bodyCrc, checksumOf } from './ack-group.js';

test('bodyCrc is zlib CRC-32 for every length and alignment, short bodies and long ones', () => {
  const pool = Buffer.alloc(4096);
  for (let i = 0; i < pool.length; i++) pool[i] = (i * 7919 + 13) & 255;
  for (let len = 0; len <= 600; len++) {
    for (const off of [0, 1, 3, 7]) {
      const b = pool.subarray(off, off + len);
      assert.equal(bodyCrc(b), crc32(b), `length ${len} at offset ${off}`);
    }
  }
});

test('a group checksum does not depend on how the group is cut into batches', () => {
  const events = makeBatch(50, 'event body number ');
  const whole = checksumOf(events);
  const cut = checksumOf(events.slice(20), checksumOf(events.slice(0, 20)));
  assert.equal(cut, whole);
  assert.equal(
    whole,
    events.reduce((s, e) => (s ^ crc32(e.body)) >>> 0, 0),
  );
});
