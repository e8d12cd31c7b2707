import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attrsAsJavaMap, bodyText, Event, eventCounters, limits } from './event.js';
import { Priority } from './priority.js';

test('bodies over flume.event.max.size.bytes are truncated and counted', () => {
  const saved = limits.maxBodySize;
  try {
    limits.maxBodySize = 10;
    const before = eventCounters.truncated;
    const e = Event.of('0123456789abcdef');
    assert.equal(e.body.toString(), '0123456789');
    assert.equal(Event.of('short').body.toString(), 'short');
    assert.equal(eventCounters.truncated, before + 1);
  } finally {
    limits.maxBodySize = saved;
  }
});

test('an attribute written upstream is never overwritten downstream', () => {
  const e = Event.of('x');
  assert.equal(e.setAttr('a', '1'), true);
  assert.equal(e.setAttr('a', '2'), false);
  assert.equal(e.getAttrString('a'), '1');
  e.setAttr('b', Buffer.from([0, 255]));
  assert.deepEqual(e.attrNames(), ['a', 'b']);
  assert.deepEqual(e.getAttr('b'), Buffer.from([0, 255]));
  e.deleteAttr('a');
  assert.equal(e.hasAttr('a'), false);
  assert.equal(e.attrCount, 1);
});

test('copies have their own attributes and share the body; withBody keeps every other field', () => {
  const e = Event.of('body', {
    timestamp: 7,
    priority: Priority.ERROR,
    nanos: 9,
    host: 'h',
    attrs: { k: 'v' },
  });
  const c = e.copy();
  c.setAttr('only-copy', '1');
  assert.equal(e.hasAttr('only-copy'), false);
  assert.equal(c.body, e.body);
  const w = e.withBody(Buffer.from('other'));
  assert.deepEqual(
    [w.timestamp, w.priority, w.nanos, w.host, w.getAttrString('k'), w.body.toString()],
    [7, Priority.ERROR, 9, 'h', 'v', 'other'],
  );
});

test('bodyText decodes ASCII and UTF-8 alike', () => {
  assert.equal(bodyText(Buffer.from('plain ascii')), 'plain ascii');
  assert.equal(bodyText(Buffer.from('naïve – ü')), 'naïve – ü');
});

test('a line still in its chunk reads, copies, decodes and truncates like any body', () => {
  const chunk = Buffer.from('first\nsecond line\n');
  const e = Event.fromChunk(chunk, 6, 17, 5, Priority.INFO, 1, 'h');
  assert.equal(e.bodyLength, 11);
  assert.equal(e.bodyText(), 'second line');
  const out = Buffer.alloc(13, 0x2e);
  assert.equal(e.copyBodyTo(out, 1), 11);
  assert.equal(out.toString(), '.second line.');
  const c = e.copy();
  assert.equal(c.body.toString(), 'second line');
  assert.ok(Buffer.isBuffer(e.body));
  assert.equal(e.body, e.body, 'cut once, then the same Buffer');
  e.body = Buffer.from('replaced');
  assert.deepEqual([e.bodyLength, e.bodyText(), c.bodyText()], [8, 'replaced', 'second line']);
  const saved = limits.maxBodySize;
  try {
    limits.maxBodySize = 3;
    const before = eventCounters.truncated;
    assert.equal(Event.fromChunk(chunk, 0, 5, 0, Priority.INFO, 0, 'h').bodyText(), 'fir');
    assert.equal(eventCounters.truncated, before + 1);
  } finally {
    limits.maxBodySize = saved;
  }
});

test('attributes by index agree with attrEntries after sets and deletes; attrsAsJavaMap prints them as Flume does', () => {
  const e = new Event(Buffer.from('b'), 1, Priority.INFO, 0, 'h');
  assert.equal(attrsAsJavaMap(e), '');
  e.setAttr('a', 'x');
  e.setAttr('b', Buffer.from('é'));
  e.setAttr('c', 'z');
  e.deleteAttr('a');
  const byIndex: [string, Buffer][] = [];
  for (let i = 0; i < e.attrCount; i++) byIndex.push([e.attrName(i), e.attrValue(i)]);
  assert.deepEqual(byIndex, e.attrEntries());
  assert.deepEqual(byIndex, [
    ['b', Buffer.from('é')],
    ['c', Buffer.from('z')],
  ]);
  assert.equal(attrsAsJavaMap(e), 'b=é, c=z');
});
