import { type KnownTypes, parseAgentConfig } from '../../../src/agentconf/model.js';
import { SluiceError } from '../../../src/core/errors.js';
import type { Rng } from '../rng.js';
import type { FuzzTarget } from '../target.js';

const KNOWN: KnownTypes = {
  source: ['avro', 'seq', 'syslogtcp', 'exec', 'netcat'],
  channel: ['memory', 'file'],
  sink: ['avro', 'logger', 'hdfs', 'file_roll', 'null'],
  interceptor: ['timestamp', 'host', 'static', 'regex_filter'],
  processor: ['default', 'failover', 'load_balance'],
  selector: ['replicating', 'multiplexing'],
};

function agentFile(rng: Rng): string {
  const sep = () => rng.pick([' = ', '=', ': ', ' ', '\t=\t']);
  const lines: string[] = [];
  const sources = Array.from({ length: rng.between(1, 2) }, (_, i) => `r${i}`);
  const channels = Array.from({ length: rng.between(1, 2) }, (_, i) => `c${i}`);
  const sinks = Array.from({ length: rng.between(0, 3) }, (_, i) => `k${i}`);
  lines.push(`a1.sources${sep()}${sources.join(' ')}`, `a1.channels${sep()}${channels.join(' ')}`);
  if (sinks.length > 0) lines.push(`a1.sinks${sep()}${sinks.join(' ')}`);
  for (const r of sources) {
    lines.push(
      `a1.sources.${r}.type${sep()}${rng.pick(KNOWN.source)}`,
      `a1.sources.${r}.channels${sep()}${channels.join(' ')}`,
    );
    if (rng.chance(0.3)) lines.push(`a1.sources.${r}.port = ${rng.pick(['41414', '0', '-1', '99999', 'x'])}`);
    if (rng.chance(0.3)) {
      lines.push(
        `a1.sources.${r}.interceptors = i1`,
        `a1.sources.${r}.interceptors.i1.type = ${rng.pick(KNOWN.interceptor)}`,
      );
    }
    if (rng.chance(0.2)) lines.push(`a1.sources.${r}.selector.type = ${rng.pick(KNOWN.selector)}`);
  }
  for (const c of channels) {
    lines.push(`a1.channels.${c}.type${sep()}${rng.pick(KNOWN.channel)}`);
    if (rng.chance(0.5))
      lines.push(`a1.channels.${c}.capacity = ${rng.pick(['1000', '0', '1e3', '99999999999999999999'])}`);
  }
  for (const k of sinks) {
    lines.push(
      `a1.sinks.${k}.type = ${rng.pick(KNOWN.sink)}`,
      `a1.sinks.${k}.channel = ${rng.pick(channels)}`,
    );
  }
  if (sinks.length > 1 && rng.chance(0.5)) {
    lines.push('a1.sinkgroups = g1', `a1.sinkgroups.g1.sinks = ${sinks.join(' ')}`);
    lines.push(`a1.sinkgroups.g1.processor.type = ${rng.pick(KNOWN.processor)}`);
  }
  if (rng.chance(0.3))
    lines.push('# a comment', '! another', `a1.sources.${sources[0]}.x = a \\`, '   continued \\u00e9');
  if (rng.chance(0.2)) lines.push(`a2.sources = other`);
  return lines.join(rng.chance(0.9) ? '\n' : '\r\n');
}

export const agentconf: FuzzTarget = {
  name: 'agentconf',
  doc:
    'The agent properties parser (src/agentconf/properties.ts, model.ts): Java properties syntax, then the ' +
    'agent model. Oracle: a model or a SLUICE_AGENT_CONFIG error.',
  valid(rng) {
    return Buffer.from(agentFile(rng), 'utf8');
  },
  dictionary: [
    'a1.',
    '.type',
    ' = ',
    '\\',
    '\\u',
    '\\u00',
    '\n',
    '#',
    '!',
    'sources',
    'channels',
    'sinks',
    'sinkgroups',
    '__proto__',
    'constructor',
    '.',
  ].map((s) => Buffer.from(s, 'utf8')),
  maxInput: 16 * 1024,
  run(input) {
    parseAgentConfig(input.toString('utf8'), 'fuzz.properties', 'a1', KNOWN);
  },
  expected: (e) => e instanceof SluiceError && e.code === 'SLUICE_AGENT_CONFIG',
};
