import { ByteWriter } from '../../../src/core/byte-writer.js';
import { FlumeEventEncoder, readFlumeEvents } from '../../../src/rpc/avro/flume-event.js';
import { Reader } from '../../../src/rpc/avro/wire.js';
import { eventFields, randomEvents } from '../events.js';
import type { Rng } from '../rng.js';
import { check, type FuzzTarget } from '../target.js';

/** Headers as a plain Flume NG peer writes them, reserved and escaped names included. */
const HEADER_NAMES = [
  'timestamp',
  'host',
  'sluice.priority',
  'sluice.nanos',
  'sluice.a.host',
  'sluice.b64.k',
  'sluice.b64.sluice.a.timestamp',
  'app',
  '',
];
const HEADER_VALUES = [
  '1700000000123',
  '-5',
  '99999999999999999',
  'INFO',
  'trace',
  'bogus',
  'aGk=',
  '!!',
  '',
  'é',
];

function rawBatch(rng: Rng): Buffer {
  const w = new ByteWriter(256);
  const n = rng.size(6);
  if (n > 0) w.long(rng.chance(0.2) ? -n : n);
  if (n > 0 && w.buf[0]! & 1) w.long(0); // a negative count carries a byte size, which readers skip
  for (let i = 0; i < n; i++) {
    const headers = new Map<string, string>();
    for (let h = rng.size(6); h > 0; h--) {
      headers.set(
        rng.chance(0.7) ? rng.pick(HEADER_NAMES) : rng.text(5),
        rng.chance(0.7) ? rng.pick(HEADER_VALUES) : rng.text(8),
      );
    }
    w.map(headers);
    w.bytes(rng.bytes(rng.size(300)));
  }
  w.long(0);
  return Buffer.from(w.finish());
}

export const flumeEvent: FuzzTarget = {
  name: 'flume-event',
  doc:
    'AvroFlumeEvent batch decoder (src/rpc/avro/flume-event.ts, readFlumeEvents over wire.ts). Property: ' +
    'what it decodes, encoded again by FlumeEventEncoder and decoded, gives the same events.',
  valid(rng) {
    if (rng.chance(0.5)) return rawBatch(rng);
    const w = new ByteWriter(1024);
    new FlumeEventEncoder({ sluiceHeaders: rng.chance(0.8) }).writeBatch(w, randomEvents(rng, 8));
    return Buffer.from(w.finish());
  },
  dictionary: [
    Buffer.from('\x12timestamp'),
    Buffer.from('\x08host'),
    Buffer.from('sluice.b64.'),
    Buffer.from('sluice.a.'),
  ],
  run(input) {
    const events = readFlumeEvents(new Reader(input), '192.0.2.1');
    const w = new ByteWriter(1024);
    new FlumeEventEncoder().writeBatch(w, events);
    const again = readFlumeEvents(new Reader(w.finish()), '192.0.2.9');
    const a = JSON.stringify(events.map(eventFields));
    const b = JSON.stringify(again.map(eventFields));
    check(
      a === b,
      `re-encoding changed the events:\n  first:  ${a.slice(0, 400)}\n  second: ${b.slice(0, 400)}`,
    );
  },
};
