import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { makeBatch } from '../../test/mocks/sinks.js';
import { bodyCrc, checksumOf, tagMessages } from './ack-group.js';

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

test('tagMessages tags events with and without attributes, and retags those of an earlier group', () => {
  const [plain, withAttr, retagged] = makeBatch(3, 'e');
  withAttr!.setAttr('service', 'api');
  retagged!.setAttr('AckType', 'msg');
  retagged!.setAttr('AckTag', 'old-group');
  const tag = Buffer.from('h-n1-1-1');
  const sum = tagMessages([plain!, withAttr!, retagged!], tag, 0);
  for (const e of [plain!, withAttr!, retagged!]) {
    assert.equal(e.getAttrString('AckType'), 'msg');
    assert.equal(e.getAttrString('AckTag'), 'h-n1-1-1');
  }
  assert.equal(withAttr!.getAttrString('service'), 'api');
  assert.deepEqual(plain!.attrNames(), ['AckType', 'AckTag']);
  assert.equal(sum, checksumOf([plain!, withAttr!, retagged!]));
  plain!.deleteAttr('AckType');
  plain!.deleteAttr('AckTag');
  assert.equal(plain!.adoptAttrs(['k', Buffer.from('v')]), true, 'an emptied event adopts again');
  assert.equal(plain!.adoptAttrs(['x', Buffer.from('y')]), false);
  assert.deepEqual(plain!.attrNames(), ['k']);
});
