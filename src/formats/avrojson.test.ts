import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { attrsOf, sampleEvents } from '../../test/support/sample-events.js';
import { PRIORITY_NAMES } from '../core/priority.js';
import { EVENT_SCHEMA } from './avro-event.js';
import { avrojsonFormat } from './avrojson.js';

interface AvroRecord {
  timestamp: number;
  priority: string;
  body: Buffer;
  nanos: number;
  host: string;
  fields: Record<string, Buffer>;
}

test('avrojson: one line per event, each valid Avro JSON of the event schema (read by avsc)', () => {
  const type = avro.Type.forSchema(EVENT_SCHEMA as unknown as avro.Schema);
  const events = sampleEvents();
  const text = avrojsonFormat.create().encode(events).toString('utf8');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, events.length);
  lines.forEach((line, i) => {
    const e = events[i]!;
    const r = type.fromString(line) as AvroRecord;
    assert.ok(type.isValid(r));
    assert.deepEqual(r.body, e.body);
    assert.equal(r.timestamp, e.timestamp);
    assert.equal(r.priority, PRIORITY_NAMES[e.priority]);
    assert.equal(r.nanos, e.nanos);
    assert.equal(r.host, e.host);
    assert.deepEqual(
      Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, v.toString('hex')])),
      attrsOf(e),
    );
  });
});

test('avrojson: the exact text of a simple event', () => {
  const [e] = sampleEvents();
  assert.equal(
    avrojsonFormat.create().encode([e!]).toString(),
    '{"timestamp":1258619833456,"priority":"INFO","body":"hello world","nanos":1,"host":"server1","fields":{}}\n',
  );
});
