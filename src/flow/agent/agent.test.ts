import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CollectingSink, FailingSink, testContext } from '../../../test/mocks/sinks.js';
import { Catalog } from '../../catalog/registry.js';
import type { SinkDef } from '../../catalog/types.js';
import { memoryChannel } from '../../channels/memory.js';
import { SluiceError } from '../../core/errors.js';
import { INTERCEPTORS } from '../../interceptors/index.js';
import { NG_SINKS } from '../../sinks/ng.js';
import { NG_SOURCES } from '../../sources/ng.js';
import { Agent } from './agent.js';

const sinks = new Map<string, CollectingSink>();
const collect: SinkDef = {
  kind: 'sink',
  name: 'collect',
  docs: 'test',
  params: [
    { name: 'id', type: 'string', docs: 'which collector' },
    { name: 'failAppends', type: 'int', optional: true, default: 0, docs: 'appends that fail first' },
  ],
  build(args) {
    const s = new FailingSink({ failAppends: args.int('failAppends') });
    sinks.set(args.string('id'), s);
    return s;
  },
};
const catalog = {
  sources: NG_SOURCES,
  sinks: NG_SINKS,
  channels: [memoryChannel],
  interceptors: INTERCEPTORS,
  og: new Catalog([collect]),
};
const ctx = () => testContext({ nodeName: 'a1' });

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(f(), `timed out waiting for ${what}`);
}

const base = [
  'a1.sources = r1',
  'a1.channels = c1',
  'a1.sources.r1.type = seq',
  'a1.sources.r1.totalEvents = 5000',
  'a1.sources.r1.batchSize = 50',
  'a1.sources.r1.channels = c1',
  'a1.sources.r1.interceptors = ts',
  'a1.sources.r1.interceptors.ts.type = timestamp',
  'a1.channels.c1.type = memory',
  'a1.channels.c1.capacity = 1000',
  'a1.channels.c1.transactionCapacity = 100',
];

test('seq -> timestamp interceptor -> memory channel (smaller than the input) -> sink: every event once, in order', async () => {
  const text = [
    ...base,
    'a1.sinks = k1',
    'a1.sinks.k1.type = collect',
    'a1.sinks.k1.id = only',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', catalog, ctx());
  await agent.start();
  await until(() => (sinks.get('only')?.count ?? 0) >= 5000, '5000 events');
  await agent.stop();
  const bodies = sinks.get('only')!.bodies();
  assert.equal(bodies.length, 5000);
  assert.deepEqual(bodies.slice(0, 3), ['0', '1', '2']);
  assert.equal(bodies[4999], '4999');
  assert.ok(sinks.get('only')!.events.every((e) => e.hasAttr('timestamp')));
});

test('a failover sink group moves to the lower priority sink and loses nothing', async () => {
  const text = [
    ...base,
    'a1.sinks = hi lo',
    'a1.sinks.hi.type = collect',
    'a1.sinks.hi.id = hi',
    'a1.sinks.hi.failAppends = 3',
    'a1.sinks.hi.channel = c1',
    'a1.sinks.lo.type = collect',
    'a1.sinks.lo.id = lo',
    'a1.sinks.lo.channel = c1',
    'a1.sinkgroups = g',
    'a1.sinkgroups.g.sinks = hi lo',
    'a1.sinkgroups.g.processor.type = failover',
    'a1.sinkgroups.g.processor.priority.hi = 10',
    'a1.sinkgroups.g.processor.priority.lo = 5',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', catalog, ctx());
  await agent.start();
  await until(() => sinks.get('hi')!.count + sinks.get('lo')!.count >= 5000, 'all events');
  await agent.stop();
  const all = [...sinks.get('hi')!.bodies(), ...sinks.get('lo')!.bodies()].map(Number).sort((a, b) => a - b);
  assert.equal(all.length, 5000, 'lost or duplicated events');
  assert.deepEqual(all.slice(0, 2), [0, 1]);
  assert.ok(sinks.get('lo')!.count > 0, 'the backup never got a batch');
});

test('a bad property value is named with its file, line and key', () => {
  const text = [
    ...base.slice(0, 10),
    'a1.channels.c1.transactionCapacity = lots',
    'a1.sinks = k1',
    'a1.sinks.k1.type = logger',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  assert.throws(
    () => Agent.fromText(text, 'a.conf', 'a1', catalog, ctx()),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.place?.line === 11 &&
      e.place.file === 'a.conf' &&
      /transactionCapacity must be an integer/.test(e.message),
  );
  const og = [...base, 'a1.sinks = k1', 'a1.sinks.k1.type = collect', 'a1.sinks.k1.channel = c1'].join('\n');
  assert.throws(() => Agent.fromText(og, 'a.conf', 'a1', catalog, ctx()), /collect needs a1\.sinks\.k1\.id/);
});
