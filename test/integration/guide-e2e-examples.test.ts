// Every dataflow example of the user guide (the seed) that names an end-to-end component
// (agentSink, agentE2ESink, agentE2EChain, ackedWriteAhead), validated as `sluice validate` does.
// They need the end-to-end components (the e2e work, merged here). The guide's
// text is kept; changes: `src` (a placeholder source) is `null`, `logicalSink` (placed by the master)
// is `rpcSink` to the same name, lines the guide wraps are joined, and a `;` ends every node of a
// multi-node example. Examples of auto*Chain wait for the master.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateExample } from '../support/reliability.js';

const agents = (sink: (x: string) => string, ...targets: string[]) =>
  ['A', 'B', 'C', 'D', 'E', 'F'].map((x, i) => `agent${x} : null | ${sink(targets[i] ?? '')};`).join('\n');

/** The guide's line number and text. */
const EXAMPLES: [number, string][] = [
  [444, 'host : console | agentSink("localhost",35853) ;\ncollector : collectorSource(35853) | console ;'],
  [
    461,
    'host : syslogTcp(5140) | agentSink("localhost",35853) ;\ncollector : collectorSource(35853) | collectorSink("file:///tmp/flume/collected", "syslog");',
  ],
  [
    466,
    'host : syslogTcp(5140) | agentSink("localhost",35853) ;\ncollector : collectorSource(35853) | collectorSink("hdfs://namenode/user/flume/","syslog");',
  ],
  [
    538,
    `${agents(() => 'agentSink("collector",35853)')}\ncollector : collectorSource(35853) | collectorSink("hdfs://namenode/flume/","srcdata");`,
  ],
  [
    550,
    `${agents(() => 'agentSink("collector")')}\ncollector : collectorSource | collectorSink("hdfs://namenode/flume/","srcdata");`,
  ],
  [
    560,
    `${agents(() => 'agentSink')}\ncollector : collectorSource | collectorSink("hdfs://namenode/flume/","srcdata");`,
  ],
  [
    584,
    agents(
      (c) => `agentE2ESink("${c}",35853)`,
      'collectorA',
      'collectorA',
      'collectorB',
      'collectorB',
      'collectorC',
      'collectorC',
    ),
  ],
  [
    604,
    agents(
      (c) => `agentE2EChain(${c})`,
      '"collectorA:35853","collectorB:35853"',
      '"collectorA:35853","collectorC:35853"',
      '"collectorB:35853","collectorA:35853"',
      '"collectorB:35853","collectorC:35853"',
      '"collectorC:35853","collectorA:35853"',
      '"collectorC:35853","collectorB:35853"',
    ),
  ],
  [
    618,
    `${agents(
      (c) => `agentE2EChain(${c})`,
      '"collectorA","collectorB"',
      '"collectorA","collectorC"',
      '"collectorB","collectorA"',
      '"collectorB","collectorC"',
      '"collectorC","collectorA"',
      '"collectorC","collectorB"',
    )}\ncollectorA : collectorSource | collectorSink("hdfs://...","src");`,
  ],
  [1489, 'node1 : tail("foo") | agentE2ESink("bar");'],
  [
    1495,
    'node1 : tail("foo") | { ackedWriteAhead => { lazyOpen => { stubbornAppend => rpcSink("bar") } } } ;',
  ],
  [
    1502,
    'node1 : tail("foo") | { ackedWriteAhead => { batch(100) => { gzip => { lazyOpen => { stubbornAppend => rpcSink("bar") } } } } };',
  ],
];

for (const [line, text] of EXAMPLES) {
  test(`guide line ${line} validates: ${text.slice(0, 60)}`, () => {
    assert.ok(validateExample(text).length >= 1);
  });
}
