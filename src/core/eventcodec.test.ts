import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from './errors.js';
import { Event } from './event.js';
import {
  decodeEvent,
  decodeEvents,
  encodedSize,
  encodeEvent,
  encodeEvents,
  looksLikeEvents,
  writeEvents,
} from './eventcodec.js';
import { Priority } from './priority.js';

function sample(): Event[] {
  return [
    Event.of('hello', {
      timestamp: 1700000000123,
      nanos: 987654321012345,
      priority: Priority.WARN,
      host: 'h1',
    }),
    Event.of(Buffer.from([0, 1, 2, 255]), {
      timestamp: -5,
      nanos: 0,
      priority: Priority.FATAL,
      host: 'hôst-ünïcode',
      attrs: { a: 'x', ключ: Buffer.from([9, 8, 7]), empty: '' },
    }),
    Event.of('', { timestamp: 0, nanos: 1, priority: Priority.TRACE, host: '' }),
  ];
}

function assertSame(actual: Event, expected: Event): void {
  assert.deepEqual(actual.body, expected.body);
  assert.equal(actual.timestamp, expected.timestamp);
  assert.equal(actual.nanos, expected.nanos);
  assert.equal(actual.priority, expected.priority);
  assert.equal(actual.host, expected.host);
  assert.deepEqual(
    [...actual.attrEntries()].map(([k, v]) => [k, v.toString('hex')]),
    [...expected.attrEntries()].map(([k, v]) => [k, v.toString('hex')]),
  );
}

test('a batch round-trips every field, attributes in order', () => {
  const events = sample();
  const buf = encodeEvents(events);
  assert.equal(buf.length, encodedSize(events));
  assert.ok(looksLikeEvents(buf));
  const back = decodeEvents(buf);
  assert.equal(back.length, 3);
  for (let i = 0; i < 3; i++) assertSame(back[i]!, events[i]!);
});

test('the layout is the documented one (header, then fixed fields)', () => {
  const e = Event.of('hi', { timestamp: 1, nanos: 2, priority: Priority.INFO, host: 'h' });
  const buf = encodeEvent(e);
  assert.equal(buf.subarray(0, 4).toString('latin1'), 'SLEV');
  assert.equal(buf[4], 1);
  assert.equal(buf.readUInt32BE(5), 1);
  assert.equal(buf.readDoubleBE(9), 1);
  assert.equal(buf.readDoubleBE(17), 2);
  assert.equal(buf[25], Priority.INFO);
  assert.equal(buf.readUInt16BE(26), 1);
  assert.equal(buf.toString('latin1', 28, 29), 'h');
  assert.equal(buf.readUInt16BE(29), 0);
  assert.equal(buf.readUInt32BE(31), 2);
  assert.equal(buf.toString('latin1', 35), 'hi');
  assert.equal(buf.length, 37);
  assertSame(decodeEvent(buf), e);
});

test('an empty batch encodes to the header alone', () => {
  const buf = encodeEvents([]);
  assert.equal(buf.length, 9);
  assert.deepEqual(decodeEvents(buf), []);
});

test('writeEvents fills a shared buffer at an offset; decode honours offset and end', () => {
  const events = sample();
  const size = encodedSize(events);
  const buf = Buffer.alloc(size + 10, 0xaa);
  assert.equal(writeEvents(events, buf, 7), 7 + size);
  const back = decodeEvents(buf, { offset: 7, end: 7 + size });
  assert.equal(back.length, 3);
  assertSame(back[1]!, events[1]!);
});

test('decoded bodies are views by default and copies on request', () => {
  const buf = encodeEvents([Event.of('abc')]);
  const view = decodeEvent(buf);
  const copied = decodeEvent(buf, { copy: true });
  buf[buf.length - 1] = 0x5a; // the last body byte
  assert.equal(view.body.toString(), 'abZ');
  assert.equal(copied.body.toString(), 'abc');
});

function formatError(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SluiceError, `expected a SluiceError, got ${String(e)}`);
    assert.equal(e.code, 'SLUICE_FORMAT');
    return e;
  }
  assert.fail('expected an error');
}

test('every truncation of a valid batch is a SLUICE_FORMAT error naming an offset', () => {
  const buf = encodeEvents(sample());
  for (let cut = 0; cut < buf.length; cut++) {
    const err = formatError(() => decodeEvents(buf.subarray(0, cut)));
    assert.match(err.message, /corrupt event batch at offset \d+: /);
  }
});

test('corruptions name what is wrong and where', () => {
  const good = encodeEvents(sample());
  const magic = Buffer.from(good);
  magic[0] = 0x58;
  assert.match(formatError(() => decodeEvents(magic)).message, /offset 0: bad magic/);

  const version = Buffer.from(good);
  version[4] = 9;
  assert.match(
    formatError(() => decodeEvents(version)).message,
    /offset 4: unsupported event codec version 9/,
  );

  const count = Buffer.from(good);
  count.writeUInt32BE(0xffffffff, 5);
  assert.match(
    formatError(() => decodeEvents(count)).message,
    /offset 5: event count 4294967295 does not fit/,
  );

  const prio = Buffer.from(good);
  prio[25] = 6;
  assert.match(formatError(() => decodeEvents(prio)).message, /offset 25: bad priority 6 in event 0/);

  const bodyLen = encodeEvent(Event.of('xyz', { host: 'h' }));
  bodyLen.writeUInt32BE(1000, 31);
  assert.match(
    formatError(() => decodeEvents(bodyLen)).message,
    /offset 35: truncated body of event 0 \(needs 1000 bytes, 3 left\)/,
  );

  const trailing = Buffer.concat([good, Buffer.from([1, 2])]);
  assert.match(formatError(() => decodeEvents(trailing)).message, /2 trailing bytes after 3 events/);

  assert.match(formatError(() => decodeEvent(good)).message, /expected one encoded event, found 3/);
});

test('oversized host names and attribute names are refused at encode time', () => {
  const big = 'x'.repeat(70000);
  assert.match(formatError(() => encodeEvents([Event.of('a', { host: big })])).message, /host name is 70000/);
  assert.match(
    formatError(() => encodeEvents([Event.of('a', { attrs: { [big]: 'v' } })])).message,
    /attribute name/,
  );
});

test('large batches encode in one exact allocation and decode back', () => {
  const events: Event[] = [];
  for (let i = 0; i < 20000; i++) {
    events.push(
      Event.of(`line ${i} ${'z'.repeat(i % 50)}`, { host: i % 1000 === 0 ? `host${i}` : 'web01', nanos: i }),
    );
  }
  const buf = encodeEvents(events);
  assert.equal(buf.length, encodedSize(events));
  const back = decodeEvents(buf);
  assert.equal(back.length, events.length);
  for (let i = 0; i < events.length; i += 997) assertSame(back[i]!, events[i]!);
  assert.equal(back[19999]!.body.toString(), events[19999]!.body.toString());
  assert.equal(back[1000]!.host, 'host1000');
  assert.equal(back[1001]!.host, 'web01');
});
