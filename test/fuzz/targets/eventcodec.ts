import { decodeEvents, encodeEvents } from '../../../src/core/eventcodec.js';
import { eventFields, randomEvents } from '../events.js';
import { check, type FuzzTarget } from '../target.js';

export const eventcodec: FuzzTarget = {
  name: 'eventcodec',
  doc:
    "Sluice's own event batch codec (src/core/eventcodec.ts: the write-ahead log, batch/gzip). Property: " +
    'what decodes, encoded again and decoded, gives the same events.',
  valid(rng) {
    return encodeEvents(randomEvents(rng, 6));
  },
  dictionary: [Buffer.from('SLEV\x01'), Buffer.from([0x7f, 0xf8, 0, 0, 0, 0, 0, 0])],
  run(input, rng) {
    const events = decodeEvents(input, { copy: rng.chance(0.5) });
    const again = decodeEvents(encodeEvents(events));
    const a = JSON.stringify(events.map(eventFields));
    const b = JSON.stringify(again.map(eventFields));
    check(
      a === b,
      `re-encoding changed the events:\n  first:  ${a.slice(0, 400)}\n  second: ${b.slice(0, 400)}`,
    );
  },
};
