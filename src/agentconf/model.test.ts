import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SluiceError } from '../core/errors.js';
import { type KnownTypes, parseAgentConfig } from './model.js';
import { parseProperties } from './properties.js';

const KNOWN: KnownTypes = {
  source: ['spooldir', 'avro', 'netcat'],
  channel: ['memory', 'file'],
  sink: ['avro', 'logger', 'org.apache.spark.streaming.flume.sink.SparkSink'],
  interceptor: ['timestamp', 'host'],
  processor: ['default', 'failover', 'load_balance'],
  selector: ['replicating', 'multiplexing'],
};

function fails(text: string, agent: string, re: RegExp, line: number): void {
  assert.throws(
    () => parseAgentConfig(text, 'a.conf', agent, KNOWN),
    (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.match(e.message, re);
      assert.equal(e.place?.line, line, `line of: ${e.message}`);
      assert.equal(e.place?.file, 'a.conf');
      return true;
    },
  );
}

test('properties: separators, comments, continuations and escapes', () => {
  const props = parseProperties('# c\n! c\na = 1\nb:2\nc 3\nd = x \\\n   y\ne = \\u0041\\t\n', 'f');
  assert.deepEqual(
    props.map((p) => [p.key, p.value, p.line]),
    [
      ['a', '1', 3],
      ['b', '2', 4],
      ['c', '3', 5],
      ['d', 'x y', 6],
      ['e', 'A', 8],
    ],
  );
});

test('the corrected tutorial agent parses into sources, channels, sinks and interceptors', () => {
  const conf = parseAgentConfig(
    readFileSync('examples/sparkstreamingflume.conf', 'utf8'),
    'x.conf',
    'a1',
    KNOWN,
  );
  assert.deepEqual(
    conf.sources.map((s) => [s.name, s.type, s.channels, s.interceptors.map((i) => i.type)]),
    [['r1', 'spooldir', ['c1'], ['timestamp']]],
  );
  assert.equal(conf.sources[0]!.props.bool('fileHeader', false), true);
  assert.deepEqual(
    conf.sinks.map((s) => [s.name, s.type, s.channel, s.props.int('port')]),
    [['k1', 'avro', 'c1', 9092]],
  );
  assert.equal(conf.channels[0]!.props.int('capacity'), 1000);
});

test("the tutorial's garbled lines are named with their line and what is wrong", () => {
  const seed = readFileSync('examples/sparkstreamingflume.conf', 'utf8')
    .replace('a1.sinks.k1.channel = c1\n', '')
    .replace(/a1\.sources\.r1\.channels = c1$/m, 'a1.sources.r1.channels = c1 = c1');
  const lines = seed.split('\n');
  const garbled = lines.findIndex((l) => l.startsWith('a1.sources.r1.channels')) + 1;
  fails(
    seed,
    'a1',
    /"=" is not a valid name in a1\.sources\.r1\.channels \(the value contains "=": did you mean "a1\.sources\.r1\.channels = c1"\?\)/,
    garbled,
  );
  const noChannel = seed.replace(/^a1\.sources\.r1\.channels = c1 = c1$/m, 'a1.sources.r1.channels = c1');
  const sinkType = lines.findIndex((l) => l.startsWith('a1.sinks.k1.type')) + 1;
  fails(noChannel, 'a1', /sink "k1" is bound to no channel: add a1\.sinks\.k1\.channel/, sinkType);
});

test('unknown types list the known ones; missing channels and unlisted components are named', () => {
  fails(
    'a.sources = r\na.channels = c\na.channels.c.type = memory\na.sources.r.type = nope\na.sources.r.channels = c\n',
    'a',
    /unknown source type "nope"; known types: avro, netcat, spooldir/,
    4,
  );
  fails(
    'a.sinks = k\na.channels = c\na.channels.c.type = memory\na.sinks.k.type = logger\na.sinks.k.channel = d\n',
    'a',
    /channel "d" does not exist \(channels: c\)/,
    5,
  );
  fails(
    'a.sinks = k\na.channels = c\na.channels.c.type = memory\na.sinks.k.type = logger\na.sinks.k.channel = c\na.sinks.k2.type = logger\n',
    'a',
    /sink "k2" is configured but not listed in a\.sinks \(listed: k\)/,
    6,
  );
  fails('a.sinks = k\n', 'a', /sink "k" has no type/, 1);
  fails(
    'x.sinks = k\n',
    'a',
    /no properties for agent "a" \(this file configures: x\)/,
    undefined as unknown as number,
  );
});

test('sink groups name their processor and members', () => {
  const text = [
    'agent.channels = memory-channel',
    'agent.channels.memory-channel.type = memory',
    'agent.sinks = spark-sink1 spark-sink2',
    'agent.sinks.spark-sink1.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'agent.sinks.spark-sink1.hostname = host1',
    'agent.sinks.spark-sink1.port = 9999',
    'agent.sinks.spark-sink1.channel = memory-channel',
    'agent.sinks.spark-sink2.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'agent.sinks.spark-sink2.hostname = host2',
    'agent.sinks.spark-sink2.port = 9999',
    'agent.sinks.spark-sink2.channel = memory-channel',
    'agent.sinkgroups = spark-group',
    'agent.sinkgroups.spark-group.sinks = spark-sink1 spark-sink2',
    'agent.sinkgroups.spark-group.processor.type = failover',
    'agent.sinkgroups.spark-group.processor.priority.spark-sink1 = 10',
  ].join('\n');
  const conf = parseAgentConfig(text, 'a.conf', 'agent', KNOWN);
  assert.deepEqual(
    conf.sinkgroups.map((g) => [
      g.name,
      g.sinks,
      g.processor.type,
      g.processor.props.int('priority.spark-sink1'),
    ]),
    [['spark-group', ['spark-sink1', 'spark-sink2'], 'failover', 10]],
  );
  fails(
    text.replace(
      'spark-sink1 spark-sink2\nagent.sinkgroups.spark-group.processor',
      'spark-sink1 spark-sink3\nagent.sinkgroups.spark-group.processor',
    ),
    'agent',
    /names sink "spark-sink3", which is not in agent\.sinks/,
    13,
  );
});
