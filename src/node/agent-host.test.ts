import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { collectSinkDef, testContext } from '../../test/mocks/sinks.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { isSluiceError } from '../core/errors.js';
import { builtinCatalog } from '../flow/builtins.js';
import { LATENCY_BOUNDS_MS } from '../flow/report.js';
import { AgentHost } from './agent-host.js';

/** Every sink a test built, by id, in build order (a replaced sink adds a second instance). */
const { def: collect, built } = collectSinkDef();
const catalog = builtinCatalog().with(collect);

const bodies = (id: string) => (built.get(id) ?? []).flatMap((s) => s.bodies());

function file(opts: {
  total: number;
  capacity?: number;
  sink?: string;
  header?: string;
  dir?: string;
}): string {
  return [
    'a1.sources = r1',
    'a1.channels = c1',
    ...(opts.sink ? ['a1.sinks = k1'] : []),
    'a1.sources.r1.type = seq',
    `a1.sources.r1.totalEvents = ${opts.total}`,
    'a1.sources.r1.batchSize = 50',
    'a1.sources.r1.channels = c1',
    ...(opts.header
      ? [
          'a1.sources.r1.interceptors = s',
          'a1.sources.r1.interceptors.s.type = static',
          'a1.sources.r1.interceptors.s.key = v',
          `a1.sources.r1.interceptors.s.value = ${opts.header}`,
        ]
      : []),
    ...(opts.dir
      ? [
          'a1.channels.c1.type = file',
          `a1.channels.c1.checkpointDir = ${opts.dir}/checkpoint`,
          `a1.channels.c1.dataDirs = ${opts.dir}/data`,
        ]
      : ['a1.channels.c1.type = memory']),
    `a1.channels.c1.capacity = ${opts.capacity ?? 100000}`,
    'a1.channels.c1.transactionCapacity = 100',
    ...(opts.sink
      ? ['a1.sinks.k1.type = collect', `a1.sinks.k1.id = ${opts.sink}`, 'a1.sinks.k1.channel = c1']
      : []),
    '',
  ].join('\n');
}

function host(): AgentHost {
  return new AgentHost('a1', catalog, testContext({ nodeName: 'a1' }));
}

test('an identical file changes nothing; a channel that stays keeps its events for a sink added later', async () => {
  const h = host();
  await h.start({ text: file({ total: 1000 }), file: 'a1.conf' });
  const agent = h.agent!;
  const c1 = agent.channel('c1')!;
  await waitFor(
    () => c1.size === 1000,
    () => `1000 events waiting in c1 (${c1.size})`,
  );

  const same = await h.reconfigure({ text: file({ total: 1000 }), file: 'a1.conf' });
  assert.deepEqual(same.unchanged, ['channel c1', 'source r1']);
  assert.deepEqual([same.replaced, same.rewired, same.added, same.removed], [[], [], [], []]);
  assert.equal(h.version, 2);

  const added = await h.reconfigure({ text: file({ total: 1000, sink: 'late' }), file: 'a1.conf' });
  assert.deepEqual(added.added, ['sink k1']);
  assert.equal(agent.channel('c1'), c1, 'the channel object is the same one');
  await waitFor(
    () => bodies('late').length === 1000,
    () => `1000 events at k1 (${bodies('late').length})`,
  );
  await h.stop();
  assert.equal(new Set(bodies('late')).size, 1000, 'each event once');
});

test('a changed channel is emptied by its old sink before it stops, and the source goes on into the new one', async () => {
  const h = host();
  await h.start({ text: file({ total: 20_000, capacity: 500, sink: 'swap' }), file: 'a1.conf' });
  const agent = h.agent!;
  await waitFor(() => agent.report().components[0]!.eventsIn >= 2000, 'the source under way');
  const changes = await h.reconfigure({
    text: file({ total: 20_000, capacity: 600, sink: 'swap' }),
    file: 'a1.conf',
  });
  assert.deepEqual(changes.replaced, ['channel c1', 'sink k1']);
  assert.deepEqual(changes.rewired, ['source r1']);
  await waitFor(
    () => bodies('swap').length >= 20_000,
    () => `20000 events at k1 (${bodies('swap').length})`,
  );
  await h.stop();
  const all = bodies('swap');
  assert.equal(all.length, 20_000);
  assert.equal(new Set(all).size, 20_000, 'each event once');
  assert.equal(built.get('swap')!.length, 2, 'the sink was built again for the new channel');
  assert.ok(built.get('swap')![0]!.count > 0 && built.get('swap')![1]!.count > 0, 'both delivered');
});

test('a file channel replaced by one on the same directories starts after the old one stopped', async (t) => {
  const dir = tempDir('reload-file-channel', t);
  const h = host();
  t.after(() => h.stop());
  await h.start({ text: file({ total: 3000, sink: 'fc', dir }), file: 'a1.conf' });
  await waitFor(
    () => bodies('fc').length === 3000,
    () => `3000 events at k1 (${bodies('fc').length})`,
  );
  const changes = await h.reconfigure({
    text: file({ total: 3000, capacity: 5000, sink: 'fc', dir }),
    file: 'a1.conf',
  });
  // seq counts again from 0 when it is started again: that is the source restarting.
  assert.deepEqual(changes.replaced, ['channel c1', 'source r1', 'sink k1']);
  await waitFor(
    () => bodies('fc').length === 6000,
    () => `3000 more events at k1 (${bodies('fc').length})`,
  );
  const [r] = h.reports();
  assert.equal(r!.state, 'ACTIVE');
  assert.equal(r!.components.find((c) => c.kind === 'channel')!.size, 0);
});

test('an interceptor added while the source runs tags every event from one batch on', async () => {
  const h = host();
  await h.start({ text: file({ total: 30_000, capacity: 500, sink: 'tag' }), file: 'a1.conf' });
  const agent = h.agent!;
  await waitFor(() => agent.report().components[0]!.eventsIn >= 1000, 'the source under way');
  const changes = await h.reconfigure({
    text: file({ total: 30_000, capacity: 500, sink: 'tag', header: 'on' }),
    file: 'a1.conf',
  });
  assert.deepEqual(changes.rewired, ['source r1']);
  await waitFor(
    () => bodies('tag').length >= 30_000,
    () => `30000 events at k1 (${bodies('tag').length})`,
  );
  await h.stop();
  const events = built.get('tag')!.flatMap((s) => s.events);
  const tagged = events.map((e) => e.getAttrString('v') === 'on');
  const first = tagged.indexOf(true);
  assert.ok(first > 0, 'untagged events first');
  assert.ok(tagged.slice(first).every(Boolean), 'every event after the first tagged one is tagged');
  assert.equal(new Set(events.map((e) => e.bodyText())).size, 30_000);
});

test('a file with an error is refused with its place and the agent runs on', async () => {
  const h = host();
  await h.start({ text: file({ total: 500, sink: 'refused' }), file: 'a1.conf' });
  const bad = `${file({ total: 500, sink: 'refused' })}a1.sinks.k1.channel = nowhere\n`;
  await assert.rejects(h.reconfigure({ text: bad, file: 'a1.conf' }), (e: unknown) => {
    assert.ok(isSluiceError(e));
    assert.match(e.oneLine(), /^a1\.conf:\d+: /);
    return true;
  });
  assert.equal(h.version, 1);
  await waitFor(() => bodies('refused').length === 500, 'every event delivered after the refusal');
  await h.stop();
});

test('a new source that cannot start leaves the agent running what it had: applied in part', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as net.AddressInfo).port;
  const h = host();
  t.after(() => h.stop());
  const text = file({ total: 500, sink: 'part' });
  await h.start({ text, file: 'a1.conf' });
  const more = text
    .replace('a1.sources = r1', 'a1.sources = r1 r2')
    .concat(
      [
        'a1.sources.r2.type = avro',
        'a1.sources.r2.bind = 127.0.0.1',
        `a1.sources.r2.port = ${port}`,
        'a1.sources.r2.channels = c1',
        '',
      ].join('\n'),
    );
  await assert.rejects(h.reconfigure({ text: more, file: 'a1.conf' }), /applied in part: .*r2/);
  assert.equal(h.version, 2);
  const [r] = h.reports();
  assert.equal(r!.state, 'ACTIVE');
  await waitFor(() => bodies('part').length === 500, 'r1 delivered everything meanwhile');
});

test('report(): one shape with per component events, bytes, batches and a latency histogram', async () => {
  const h = host();
  await h.start({ text: file({ total: 1000, sink: 'report' }), file: 'a1.conf' });
  await waitFor(() => bodies('report').length === 1000, 'every event delivered');
  const [r] = h.reports();
  await h.stop();
  assert.equal(r!.kind, 'agent');
  assert.equal(r!.name, 'a1');
  assert.equal(r!.version, 1);
  assert.equal(r!.state, 'ACTIVE');
  const by = new Map(r!.components.map((c) => [`${c.kind} ${c.name}`, c]));
  assert.deepEqual([...by.keys()], ['source r1', 'channel c1', 'sink k1']);
  const source = by.get('source r1')!;
  const channel = by.get('channel c1')!;
  const sink = by.get('sink k1')!;
  assert.deepEqual([source.eventsIn, source.eventsOut, source.batches], [1000, 1000, 20]);
  // seq bodies are the numbers 0..999 as text.
  const bytes = Array.from({ length: 1000 }, (_, i) => String(i).length).reduce((a, b) => a + b, 0);
  assert.equal(source.bytes, bytes);
  assert.deepEqual(
    [channel.eventsIn, channel.eventsOut, channel.size, channel.bytes],
    [1000, 1000, 0, bytes],
  );
  assert.deepEqual(
    [sink.type, sink.eventsIn, sink.eventsOut, sink.bytes, sink.errors],
    ['collect', 1000, 1000, bytes, 0],
  );
  assert.deepEqual(sink.latency.boundsMs, LATENCY_BOUNDS_MS);
  assert.equal(sink.latency.counts.length, LATENCY_BOUNDS_MS.length + 1);
  assert.equal(
    sink.latency.counts.reduce((a, b) => a + b, 0),
    sink.batches,
    'one latency count per batch',
  );
});
