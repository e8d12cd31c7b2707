import { Event } from '../../src/core/event.js';
import { Priority } from '../../src/core/priority.js';

/** Thursday 19 November 2009, 08:37:13.456 UTC: the seed's console example date. */
export const TS = Date.UTC(2009, 10, 19, 8, 37, 13, 456);

/** Events that exercise every field: binary bodies, empty bodies, attributes, odd hosts, all priorities. */
export function sampleEvents(): Event[] {
  return [
    Event.of('hello world', { timestamp: TS, priority: Priority.INFO, nanos: 1, host: 'server1' }),
    Event.of('say "hi"\n\tand \\ bye', {
      timestamp: TS + 1,
      priority: Priority.WARN,
      nanos: 2 ** 40 + 7,
      host: 'server2',
      attrs: { rolltag: '20091119-083713', AckChecksum: Buffer.from([0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef]) },
    }),
    Event.of(Buffer.from([0x00, 0xff, 0xc3, 0xa9, 0x0a, 0x80]), {
      timestamp: TS + 2500,
      priority: Priority.FATAL,
      nanos: 0,
      host: 'hôte-é',
    }),
    // 2^52 - 1: the largest long avsc reads back without refusing it as imprecise.
    Event.of('', { timestamp: 0, priority: Priority.TRACE, nanos: 4_503_599_627_370_495, host: '' }),
    Event.of('dbg', {
      timestamp: TS,
      priority: Priority.DEBUG,
      nanos: 5,
      host: 'h',
      attrs: { '': 'empty name', ü: '' },
    }),
    Event.of('err', { timestamp: TS, priority: Priority.ERROR, nanos: 6, host: 'h' }),
  ];
}

export function attrsOf(e: Event): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of e.attrEntries()) out[k] = v.toString('hex');
  return out;
}

/** Every field of an event in comparable form (bodies and attribute values as hex). */
export function fieldsOf(e: Event): Record<string, unknown> {
  return {
    body: e.body.toString('hex'),
    timestamp: e.timestamp,
    priority: e.priority,
    nanos: e.nanos,
    host: e.host,
    attrs: attrsOf(e),
  };
}
