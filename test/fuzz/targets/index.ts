import type { FuzzTarget } from '../target.js';
import { agentconf } from './agentconf.js';
import { avroFrame } from './avro-frame.js';
import { avroHandshake } from './avro-handshake.js';
import { eventcodec } from './eventcodec.js';
import { flumeEvent } from './flume-event.js';
import { seqfile } from './seqfile.js';
import { spec } from './spec.js';
import { syslogFraming, syslogParse } from './syslog.js';

/** Every fuzz target, in the order CI runs them. */
export const TARGETS: readonly FuzzTarget[] = [
  avroFrame,
  avroHandshake,
  flumeEvent,
  eventcodec,
  seqfile,
  syslogParse,
  syslogFraming,
  spec,
  agentconf,
];

export function targetNamed(name: string): FuzzTarget {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`no fuzz target ${name} (targets: ${TARGETS.map((x) => x.name).join(', ')})`);
  return t;
}
