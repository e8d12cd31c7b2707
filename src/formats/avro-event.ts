import type { ByteWriter } from '../core/byte-writer.js';
import type { Event } from '../core/event.js';
import { PRIORITY_NAMES } from '../core/priority.js';

/**
 * The Avro schema of a Flume OG event, the record Flume OG's Avro event server and output formats use
 * (`flumeogevent.avdl`): field order and names matter, since Avro binary data carries no names.
 *
 *   enum Priority { FATAL, ERROR, WARN, INFO, DEBUG, TRACE }
 *   record AvroFlumeOGEvent { long timestamp; Priority priority; bytes body; long nanos; string host;
 *                             map<bytes> fields; }
 */
export const EVENT_SCHEMA = {
  type: 'record',
  name: 'AvroFlumeOGEvent',
  namespace: 'com.cloudera.flume.handlers.avro',
  fields: [
    { name: 'timestamp', type: 'long' },
    {
      name: 'priority',
      type: { type: 'enum', name: 'Priority', symbols: [...PRIORITY_NAMES] },
    },
    { name: 'body', type: 'bytes' },
    { name: 'nanos', type: 'long' },
    { name: 'host', type: 'string' },
    { name: 'fields', type: { type: 'map', values: 'bytes' } },
  ],
} as const;

export const EVENT_SCHEMA_JSON = JSON.stringify(EVENT_SCHEMA);

/** Appends one event in Avro binary encoding (the record's fields in schema order). */
export function writeAvroEvent(w: ByteWriter, e: Event): void {
  w.long(e.timestamp);
  w.long(e.priority);
  w.bytes(e.body);
  w.long(e.nanos);
  w.string(e.host);
  const n = e.attrCount;
  if (n > 0) {
    // A map is written as one block of n entries, then the empty block that ends it.
    w.long(n);
    for (let i = 0; i < n; i++) {
      w.string(e.attrName(i));
      w.bytes(e.attrValue(i));
    }
  }
  w.long(0);
}

/**
 * One event in Avro's JSON encoding: bytes are strings whose code points 0-255 are the byte values
 * (ISO-8859-1), the enum is its symbol, the map an object. Readers such as avsc's `fromString` and
 * Java's JsonDecoder read it back byte for byte.
 */
export function avroJson(e: Event): string {
  let fields = '';
  for (let i = 0; i < e.attrCount; i++) {
    const k = e.attrName(i);
    const v = e.attrValue(i).toString('latin1');
    fields += `${fields === '' ? '' : ','}${JSON.stringify(k)}:${JSON.stringify(v)}`;
  }
  return `{"timestamp":${e.timestamp},"priority":"${PRIORITY_NAMES[e.priority] ?? 'INFO'}","body":${JSON.stringify(
    e.body.toString('latin1'),
  )},"nanos":${e.nanos},"host":${JSON.stringify(e.host)},"fields":{${fields}}}`;
}
