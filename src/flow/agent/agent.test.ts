import assert from 'node:assert/strict';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type CollectingSink, FailingSink, testContext } from '../../../test/mocks/sinks.js';
import { tempDir } from '../../../test/support/tmp.js';
import type { InterceptorDef, NgSourceDef, ProcessorDef, SelectorDef } from '../../catalog/ng.js';
import { Catalog } from '../../catalog/registry.js';
import type { SinkDef } from '../../catalog/types.js';
import { memoryChannel } from '../../channels/memory.js';
import { acked } from '../../core/ack.js';
import { SluiceError } from '../../core/errors.js';
import { type Batch, Event } from '../../core/event.js';
import { INTERCEPTORS } from '../../interceptors/index.js';
import { NG_SINKS } from '../../sinks/ng.js';
import { NG_SOURCES } from '../../sources/ng.js';
import { Agent } from './agent.js';
import { builtinAgentCatalog } from './catalog.js';
import { PROCESSORS } from './processors.js';
import { SELECTORS } from './selectors.js';

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
const catalog = new Catalog([
  ...NG_SOURCES,
  ...NG_SINKS,
  memoryChannel,
  ...INTERCEPTORS,
  ...SELECTORS,
  ...PROCESSORS,
  collect,
]);
const ctx = () => testContext({ nodeName: 'a1' });

async function until(f: () => boolean, what: string): Promise<void> {
  // A 30 s deadline, not a count of polls: a loaded machine only makes the wait longer.
  for (const end = Date.now() + 30_000; !f() && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(f(), `timed out waiting for ${what}`);
}

/** The agent file `text` is refused with an error placed at a.conf, `line` and `field`. */
function refusedAt(text: string, line: number, field: string, message: RegExp): void {
  assert.throws(
    () => Agent.fromText(text, 'a.conf', 'a1', catalog, ctx()),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.place?.file === 'a.conf' &&
      e.place.line === line &&
      e.place.field === field &&
      message.test(e.message),
  );
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

test('an endless seq into a memory channel and a null sink leaves turns to timers and stop()', async () => {
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = seq',
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.sinks.k1.type = null',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', builtinAgentCatalog(), ctx());
  await agent.start();
  // Without turns the timer would never fire: the test would hang until the file timeout.
  await new Promise((r) => setTimeout(r, 100));
  await agent.stop();
});

test("stop does not wait out the channel's keep-alive: the sink runner's take is interrupted", async () => {
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = seq',
    'a1.sources.r1.totalEvents = 10',
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.channels.c1.keep-alive = 60',
    'a1.sinks.k1.type = collect',
    'a1.sinks.k1.id = keepalive',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', catalog, ctx());
  await agent.start();
  await until(() => (sinks.get('keepalive')?.count ?? 0) === 10, '10 events');
  // The sink runner now waits in take() for up to 60 s of keep-alive.
  const started = Date.now();
  await agent.stop();
  assert.ok(Date.now() - started < 30_000, `stop took ${Date.now() - started} ms`);
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

test('a selector and a processor defined outside the built-ins (as a plugin would) run from the catalog', async () => {
  // Events whose body is even go to c1, odd ones to c2: a selector of its own, over the source's channels.
  const parity: SelectorDef = {
    kind: 'selector',
    type: 'parity',
    docs: 'test',
    properties: [],
    create<C>(_p: unknown, channels: ReadonlyMap<string, C>) {
      const [even, odd] = [...channels.values()];
      return (batch: Batch) => {
        const m = new Map<C, Batch>([
          [even!, []],
          [odd!, []],
        ]);
        for (const e of batch) m.get(Number(e.bodyText()) % 2 === 0 ? even! : odd!)!.push(e);
        return m;
      };
    },
  };
  // Always the last sink of the group first.
  const last: ProcessorDef = {
    kind: 'processor',
    type: 'last',
    docs: 'test',
    properties: [{ name: 'unused', type: 'int', default: '1', docs: 'checked like any property' }],
    create: (_p, names) => ({ order: () => [names.length - 1], failed() {}, succeeded() {} }),
  };
  const text = [
    'a1.sources = r1',
    'a1.channels = c1 c2',
    'a1.sources.r1.type = seq',
    'a1.sources.r1.totalEvents = 100',
    'a1.sources.r1.channels = c1 c2',
    'a1.sources.r1.selector.type = parity',
    'a1.channels.c1.type = memory',
    'a1.channels.c2.type = memory',
    'a1.sinks = e o1 o2',
    'a1.sinks.e.type = collect',
    'a1.sinks.e.id = even',
    'a1.sinks.e.channel = c1',
    'a1.sinks.o1.type = collect',
    'a1.sinks.o1.id = odd1',
    'a1.sinks.o1.channel = c2',
    'a1.sinks.o2.type = collect',
    'a1.sinks.o2.id = odd2',
    'a1.sinks.o2.channel = c2',
    'a1.sinkgroups = g',
    'a1.sinkgroups.g.sinks = o1 o2',
    'a1.sinkgroups.g.processor.type = LAST',
  ].join('\n');
  assert.throws(() => Agent.fromText(text, 'a.conf', 'a1', catalog, ctx()), /unknown selector type "parity"/);
  const agent = Agent.fromText(text, 'a.conf', 'a1', catalog.with(parity, last), ctx());
  await agent.start();
  await until(() => (sinks.get('even')?.count ?? 0) + (sinks.get('odd2')?.count ?? 0) >= 100, '100 events');
  await agent.stop();
  assert.ok(
    sinks
      .get('even')!
      .bodies()
      .every((b) => Number(b) % 2 === 0),
  );
  assert.equal(sinks.get('even')!.count, 50);
  assert.equal(sinks.get('odd2')!.count, 50);
  assert.equal(sinks.get('odd1')!.count, 0, 'the processor picked the last sink only');
});

test('a multiplexing selector naming a channel its source does not use is refused at its key', () => {
  const text = [
    ...base.slice(0, 5),
    'a1.sources.r1.selector.type = multiplexing',
    'a1.sources.r1.selector.header = kind',
    'a1.sources.r1.selector.mapping.a = c1 c9',
    ...base.slice(5),
    'a1.sinks = k1',
    'a1.sinks.k1.type = logger',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  refusedAt(
    text,
    8,
    'a1.sources.r1.selector.mapping.a',
    /maps to channel "c9", which the source does not use/,
  );
});

test('a bad property value is named with its file, line and key', () => {
  const text = [
    ...base.slice(0, 10),
    'a1.channels.c1.transactionCapacity = lots',
    'a1.sinks = k1',
    'a1.sinks.k1.type = logger',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  refusedAt(text, 11, 'a1.channels.c1.transactionCapacity', /transactionCapacity must be an integer/);
  const og = [...base, 'a1.sinks = k1', 'a1.sinks.k1.type = collect', 'a1.sinks.k1.channel = c1'].join('\n');
  assert.throws(() => Agent.fromText(og, 'a.conf', 'a1', catalog, ctx()), /collect needs a1\.sinks\.k1\.id/);
});

test('a failing sink is logged once when it fails and once when it delivers again; the summary counts retries', async () => {
  const c = ctx();
  const text = [
    ...base.map((l) => l.replace('totalEvents = 5000', 'totalEvents = 500')),
    'a1.sinks = k1',
    'a1.sinks.k1.type = collect',
    'a1.sinks.k1.id = flaky',
    'a1.sinks.k1.failAppends = 2',
    'a1.sinks.k1.channel = c1',
    'a1.channels.c1.keep-alive = 0.1',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', catalog, c);
  await agent.start();
  await until(() => (sinks.get('flaky')?.count ?? 0) >= 500, '500 events');
  await agent.stop();
  const lines = c.logger.lines;
  assert.deepEqual(
    lines.filter((l) => /^\w+ sink k1 /.test(l)),
    [
      'WARN sink k1 failing (append failure 1), retrying with backoff',
      'INFO sink k1 working again after 2 failed attempts',
    ],
  );
  // The two failed batches went back to the channel and were delivered later: retried, not lost.
  const summary = lines.filter((l) => l.includes('agent a1 stopped'));
  assert.equal(summary.length, 1);
  assert.match(
    summary[0]!,
    /^INFO agent a1 stopped: source r1: 500 accepted; sink k1: 500 delivered, 0 dropped, ([2-9]|\d\d+) retried$/,
  );
  assert.equal(agent.totals().sinks[0]!.failures, agent.totals().sinks[0]!.retried);
  assert.deepEqual(
    lines.filter((l) => l.includes('unknown property')),
    [],
    'interceptors = ts is a known key',
  );
});

test('the stop summary counts what a best-effort sink dropped', async () => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  const c = ctx();
  const text = [
    ...base.map((l) => l.replace('totalEvents = 5000', 'totalEvents = 1500')),
    'a1.sinks = k1',
    'a1.sinks.k1.type = agentBESink',
    'a1.sinks.k1.host = 127.0.0.1',
    `a1.sinks.k1.port = ${port}`,
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', builtinAgentCatalog(), c);
  await agent.start();
  await until(
    () => agent.totals().sources[0]!.accepted === 1500 && agent.channel('c1')!.size === 0,
    'drained',
  );
  await agent.stop();
  assert.deepEqual(
    c.logger.lines.filter((l) => l.includes('agent a1 stopped')),
    ['WARN agent a1 stopped: source r1: 1500 accepted; sink k1: 0 delivered, 1500 dropped, 0 retried'],
  );
  assert.equal(c.logger.lines.filter((l) => l.includes('unreachable')).length, 1);
});

test('faults (the exit status): events left in a memory channel are lost, in a file channel kept for the next start', async (t) => {
  const dir = tempDir('agent-faults', t);
  const run = async (channel: string[]) => {
    const text = [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sources.r1.type = seq',
      'a1.sources.r1.totalEvents = 100',
      'a1.sources.r1.channels = c1',
      ...channel,
      'a1.sinks = k1',
      'a1.sinks.k1.type = collect',
      'a1.sinks.k1.id = never',
      // Every append fails: the events stay in the channel.
      'a1.sinks.k1.failAppends = 1000000',
      'a1.sinks.k1.channel = c1',
    ].join('\n');
    const c = ctx();
    const agent = Agent.fromText(text, 'a.conf', 'a1', builtinAgentCatalog().with(collect), c);
    await agent.start();
    await until(() => agent.totals().sources[0]!.accepted === 100, '100 events in the channel');
    await agent.stop();
    return { faults: agent.faults(), lines: c.logger.lines.filter((l) => l.includes('agent a1 stopped')) };
  };
  const memory = await run(['a1.channels.c1.type = memory']);
  assert.deepEqual(memory.faults, ['channel c1: 100 events lost with it']);
  assert.match(memory.lines[0]!, /^WARN .*channel c1: 100 left$/);
  const file = await run([
    'a1.channels.c1.type = file',
    `a1.channels.c1.checkpointDir = ${join(dir, 'cp')}`,
    `a1.channels.c1.dataDirs = ${join(dir, 'data')}`,
  ]);
  assert.deepEqual(file.faults, []);
  // The summary says nothing was lost: no warning.
  assert.match(file.lines[0]!, /^INFO agent a1 stopped/);
});

test('a source that cannot start fails the start with one error naming it, and stops what started', async () => {
  const missing = join(tmpdir(), `sluice-no-such-spool-${process.pid}`);
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = spooldir',
    `a1.sources.r1.spoolDir = ${missing}`,
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.sinks.k1.type = collect',
    'a1.sinks.k1.id = idle',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(text, 'a.conf', 'a1', catalog, ctx());
  const started = Date.now();
  await assert.rejects(agent.start(), (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(
      e.oneLine(),
      `source r1 (spooldir): cannot open spooling directory "${missing}": no such directory`,
    );
    return true;
  });
  assert.ok(Date.now() - started < 2000, 'the sink runner was not stopped promptly');
  const idle = sinks.get('idle')!;
  assert.equal(idle.opens, 1);
  assert.equal(idle.closes, 1, 'the sink opened at start was not closed');
});

test('an exec source refused in an agent file names the file and line; exec is listed once', () => {
  const text = [
    ...base.slice(0, 2),
    'a1.sources.r1.type = exec',
    'a1.sources.r1.command = tail -F /var/log/syslog',
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.sinks = k1',
    'a1.sinks.k1.type = logger',
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  assert.throws(
    () => Agent.fromText(text, 'agent.conf', 'a1', builtinAgentCatalog(), ctx()),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.code === 'SLUICE_EXEC_REFUSED' &&
      e.oneLine().startsWith('agent.conf:4: a1.sources.r1.command: ') &&
      /--allow-exec/.test(e.message),
  );
  const bad = text.replace('type = exec', 'type = exex');
  assert.throws(
    () => Agent.fromText(bad, 'agent.conf', 'a1', builtinAgentCatalog(), ctx()),
    (e: unknown) => e instanceof SluiceError && (e.message.match(/\bexec\b/g) ?? []).length === 1,
  );
});

/** Numbered events in batches of 50; records the batches whose ack failed. */
const told: string[][] = [];
const numbers: NgSourceDef = {
  kind: 'ng-source',
  type: 'numbers',
  docs: 'test: 500 numbered events that can be told of an undelivered batch',
  properties: [],
  create: () => {
    let sent = 0;
    return {
      open: async () => {},
      close: async () => {},
      next: () => {
        if (sent >= 500) return null;
        const b = Array.from({ length: 50 }, () => Event.of(String(sent++)));
        return acked(b, (error) => {
          if (error !== undefined) told.push(b.map((e) => e.body.toString()));
        });
      },
    };
  },
};
const flaky: InterceptorDef = {
  kind: 'interceptor',
  type: 'flaky',
  docs: 'test: fails the batch that holds event 100',
  properties: [],
  create: () => (batch) => {
    if (batch.some((e) => e.body.toString() === '100')) throw new Error('bad value in event 100');
    return batch;
  },
};
const flakyAgent = (sourceType: string, sinkId: string) =>
  [
    'a1.sources = r1',
    'a1.channels = c1',
    `a1.sources.r1.type = ${sourceType}`,
    ...(sourceType === 'seq' ? ['a1.sources.r1.totalEvents = 500', 'a1.sources.r1.batchSize = 50'] : []),
    'a1.sources.r1.channels = c1',
    'a1.sources.r1.interceptors = f',
    'a1.sources.r1.interceptors.f.type = flaky',
    'a1.channels.c1.type = memory',
    'a1.channels.c1.capacity = 1000',
    'a1.channels.c1.transactionCapacity = 100',
    'a1.channels.c1.keep-alive = 0.1',
    'a1.sinks = k1',
    'a1.sinks.k1.type = collect',
    `a1.sinks.k1.id = ${sinkId}`,
    'a1.sinks.k1.channel = c1',
  ].join('\n');
const flakyCatalog = catalog.with(numbers, flaky);

test('a batch an interceptor fails is counted and told to the source, which goes on with the next batches', async () => {
  const c = ctx();
  const agent = Agent.fromText(flakyAgent('numbers', 'after-flaky'), 'a.conf', 'a1', flakyCatalog, c);
  await agent.start();
  await until(() => agent.totals().sources[0]!.state === 'IDLE', 'the source drained');
  await until(() => (sinks.get('after-flaky')?.count ?? 0) >= 450, '450 events');
  await agent.stop();
  assert.deepEqual(told, [Array.from({ length: 50 }, (_, i) => String(100 + i))]);
  const bodies = sinks.get('after-flaky')!.bodies().map(Number);
  assert.equal(bodies.length, 450);
  assert.ok(!bodies.includes(100) && bodies.includes(99) && bodies.includes(150));
  assert.deepEqual(agent.totals().sources[0]!, { name: 'r1', state: 'IDLE', accepted: 450, failed: 50 });
  assert.deepEqual(
    c.logger.lines.filter((l) => l.includes('source r1')),
    [
      'WARN source r1 failing batches (bad value in event 100), counting each failed batch and going on',
      'INFO source r1 putting batches again after 1 failed attempts',
      'WARN agent a1 stopped: source r1: 450 accepted, 50 failed; sink k1: 450 delivered, 0 dropped, 0 retried',
    ],
  );
});

test('a source whose batches carry no ack goes on after a failed batch too (pulling again commits nothing)', async () => {
  const c = ctx();
  const agent = Agent.fromText(flakyAgent('seq', 'before-flaky'), 'a.conf', 'a1', flakyCatalog, c);
  await agent.start();
  await until(() => agent.totals().sources[0]!.state === 'IDLE', 'the source drained');
  await until(() => (sinks.get('before-flaky')?.count ?? 0) >= 450, '450 events');
  await agent.stop();
  assert.equal(sinks.get('before-flaky')!.count, 450);
  assert.deepEqual(agent.totals().sources[0]!, { name: 'r1', state: 'IDLE', accepted: 450, failed: 50 });
  assert.deepEqual(
    c.logger.lines.filter((l) => l.startsWith('ERROR')),
    [],
  );
});
