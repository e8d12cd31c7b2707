import { Event } from '../../src/core/event.js';
import type { Priority } from '../../src/core/priority.js';
import type { Rng } from './rng.js';

/**
 * Random events for encoders and differential tests: empty and large bodies, no attributes or many,
 * attribute values that are not UTF-8, names that collide with Flume's reserved headers.
 */
const NAMES = [
  'app',
  'seq',
  'host',
  'timestamp',
  'sluice.priority',
  'sluice.x',
  'sluice.b64.k',
  'a.b',
  'é',
  '',
];

export interface EventShape {
  /** Largest body (default 1 KiB; differential tests go to 64 KiB). */
  maxBody?: number;
  maxAttrs?: number;
}

export function randomEvent(rng: Rng, shape: EventShape = {}): Event {
  const body = rng.bytes(rng.size(shape.maxBody ?? 1024));
  const attrs = new Map<string, Buffer>();
  const n = rng.size(shape.maxAttrs ?? 8);
  for (let i = 0; i < n; i++) {
    const name = rng.chance(0.3) ? rng.pick(NAMES) : rng.text(rng.between(1, 12));
    const r = rng.float();
    const value =
      r < 0.6
        ? Buffer.from(rng.text(rng.size(40)), 'utf8')
        : r < 0.9
          ? rng.bytes(rng.size(40))
          : Buffer.alloc(0);
    if (!attrs.has(name)) attrs.set(name, value);
  }
  const timestamp = rng.chance(0.1)
    ? rng.pick([0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER])
    : 1_700_000_000_000 + rng.below(1e9);
  const host = rng.chance(0.2)
    ? rng.text(rng.size(30))
    : rng.pick(['h1', 'web-01.example.com', '', '10.0.0.1']);
  return new Event(
    body,
    timestamp,
    rng.below(6) as Priority,
    rng.below(2 ** 31) * 1000 + rng.below(1000),
    host,
    attrs,
  );
}

export function randomEvents(rng: Rng, max: number, shape: EventShape = {}): Event[] {
  return Array.from({ length: rng.size(max) }, () => randomEvent(rng, shape));
}

/** The fields of an event, for comparing what two decoders made of the same bytes. */
export function eventFields(e: Event): unknown {
  return {
    timestamp: e.timestamp,
    nanos: e.nanos,
    priority: e.priority,
    host: e.host,
    body: e.body.toString('hex'),
    attrs: e.attrEntries().map(([k, v]) => [k, v.toString('hex')]),
  };
}
