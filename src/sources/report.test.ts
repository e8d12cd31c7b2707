import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectSinkDef, testContext } from '../../test/mocks/sinks.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { isSluiceError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { builtinCatalog } from '../flow/builtins.js';
import { compileSpec } from '../flow/compile.js';
import { AgentHost } from '../node/agent-host.js';
import { SpecHost } from '../node/spec-host.js';
import { parseSpec } from '../spec/parser.js';

interface Reading {
  timestamp: number;
  body: string;
  fields: Record<string, string>;
}

/** The report events a text sink wrote in avrojson, one per line (attribute values are ASCII text). */
function readings(file: string): Reading[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as Reading);
}

const num = (r: Reading | undefined, name: string) => Number(r?.fields[name] ?? Number.NaN);

test("report(200) in a logical node: an event every period, with the counters of the node's other components as attributes, growing", async (t) => {
  const dir = tempDir('report-source');
  const input = join(dir, 'in.log');
  const copy = join(dir, 'copy.log');
  const out = join(dir, 'reports.json');
  writeFileSync(input, 'alpha\nbeta\ngamma\n');
  const context = testContext({ nodeName: 'n' });
  const host = new SpecHost({ catalog: builtinCatalog(), context, logger: context.logger, node: 'phys1' });
  // The nodes stop before their files go.
  t.after(async () => {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const started = Date.now();
  await host.start({
    text: `feed : tail("${input}") | text("${copy}") ;\nrep : report(200) | text("${out}", "avrojson") ;`,
    file: 'n.flume',
  });

  const last = () => readings(out).at(-1);
  await waitFor(
    () => num(last(), 'feed.sink.text.eventsOut') === 3,
    () => `a report with the 3 lines delivered; last: ${JSON.stringify(last())}`,
    30_000,
  );
  const first = last()!;
  assert.equal(first.fields.node, 'phys1');
  assert.equal(first.fields['feed.state'], 'ACTIVE');
  assert.equal(first.fields['feed.version'], '1');
  assert.equal(num(first, 'feed.source.feed.eventsIn'), 3);
  // Bytes out are body bytes: "alpha", "beta", "gamma".
  assert.equal(num(first, 'feed.sink.text.bytesOut'), 14);
  assert.equal(num(first, 'feed.sink.text.bytes'), 14);
  assert.equal(first.fields['feed.sink.text.state'], 'ACTIVE');
  // A sink has no channel figures: absent, not 0.
  assert.equal(first.fields['feed.sink.text.size'], undefined);
  // The report source is in its own reading, one pipeline among the others.
  assert.ok('rep.source.rep.eventsIn' in first.fields, Object.keys(first.fields).join(' '));
  assert.match(
    first.body,
    /^report of phys1: 2 pipelines \(feed ACTIVE, rep ACTIVE\), \d+ events read, \d+ delivered, 0 errors$/,
  );

  // Counts grow: two more lines show up in a later reading.
  appendFileSync(input, 'delta\nepsilon\n');
  await waitFor(
    () => num(last(), 'feed.sink.text.eventsOut') === 5,
    () => `a report with 5 lines delivered; last: ${JSON.stringify(last())}`,
    30_000,
  );
  assert.equal(num(last(), 'feed.sink.text.bytesOut'), 14 + 5 + 7);
  assert.ok(num(last(), 'rep.sink.text.eventsOut') > num(first, 'rep.sink.text.eventsOut'));

  // Every period, never more often: each reading is due one period after the one before.
  await waitFor(() => readings(out).length >= 4, 'four readings', 30_000);
  const all = readings(out);
  const elapsed = Date.now() - started;
  assert.ok(all.length <= elapsed / 200 + 1, `${all.length} readings in ${elapsed} ms`);
  for (let i = 1; i < all.length; i++) assert.ok(all[i]!.timestamp >= all[i - 1]!.timestamp);
});

/** The report events an agent's sink collected, by id. */
const { def: collect, built: collected } = collectSinkDef();

const attr = (e: Event | undefined, name: string) => e?.getAttrString(name);

test("type = report in an agent file: the channels' fill, capacity and bytes, and the sources' bytes out", async (t) => {
  const file = [
    'a1.sources = r1 r2',
    'a1.channels = c1 c2',
    'a1.sinks = k1',
    'a1.sources.r1.type = seq',
    'a1.sources.r1.totalEvents = 300',
    'a1.sources.r1.channels = c1',
    'a1.sources.r2.type = report',
    'a1.sources.r2.periodMillis = 200',
    'a1.sources.r2.channels = c2',
    'a1.channels.c1.type = memory',
    'a1.channels.c1.capacity = 1000',
    'a1.channels.c1.byteCapacity = 100000',
    'a1.channels.c1.byteCapacityBufferPercentage = 20',
    'a1.channels.c2.type = memory',
    'a1.sinks.k1.type = collect',
    'a1.sinks.k1.id = agent-reports',
    'a1.sinks.k1.channel = c2',
    '',
  ].join('\n');
  const host = new AgentHost('a1', builtinCatalog().with(collect), testContext({ nodeName: 'a1' }));
  t.after(() => host.stop());
  await host.start({ text: file, file: 'a1.conf' });
  // seq's bodies are "0" ... "299": 10 + 180 + 600 bytes.
  const bodyBytes = 10 + 90 * 2 + 200 * 3;
  const last = () => collected.get('agent-reports')?.at(-1)?.events.at(-1);
  await waitFor(
    () => attr(last(), 'a1.channel.c1.size') === '300',
    () => `a reading with 300 events in c1; last: ${last()?.body.toString()}`,
    30_000,
  );
  const e = last()!;
  assert.equal(attr(e, 'node'), 'a1');
  assert.equal(attr(e, 'a1.channel.c1.capacity'), '1000');
  assert.equal(attr(e, 'a1.channel.c1.fillPercentage'), '30');
  assert.equal(attr(e, 'a1.channel.c1.sizeBytes'), String(bodyBytes));
  assert.equal(attr(e, 'a1.channel.c1.byteCapacity'), '80000');
  assert.equal(attr(e, 'a1.source.r1.eventsOut'), '300');
  assert.equal(attr(e, 'a1.source.r1.bytesOut'), String(bodyBytes));
  // The report's own channel is drained by k1: its sink's bytes out grow with each reading.
  const sent = Number(attr(e, 'a1.sink.k1.bytesOut'));
  await waitFor(
    () => Number(attr(last(), 'a1.sink.k1.bytesOut')) > sent,
    'the sink of the readings to have sent more bytes',
    30_000,
  );
  const report = host.reports()[0]!.components;
  const c2 = report.find((c) => c.kind === 'channel' && c.name === 'c2')!;
  assert.ok(c2.bytesOut > 0 && c2.capacity === 100, JSON.stringify(c2));
});

test('a period of 0 or less is an error at its place in the spec; outside a node host it still builds (validate)', () => {
  const context = testContext({ nodeName: 'n', nodeReport: () => ({ attributes: [], summary: '' }) });
  for (const period of ['0', '-5']) {
    const [node] = compileSpec(parseSpec(`\n  rep : report(${period}) | null ;`, 'r.flume'), {
      catalog: builtinCatalog(),
      context,
      file: 'r.flume',
    });
    assert.throws(
      () => node!.makeSource(),
      (e: unknown) =>
        isSluiceError(e) &&
        e.code === 'SLUICE_SPEC_BAD_ARGUMENT' &&
        e.place?.file === 'r.flume' &&
        e.place.line === 2 &&
        e.place.column === 9 &&
        e.place.field === 'periodMillis' &&
        e.message === `periodMillis must be positive, got ${period}`,
    );
  }
  const [alone] = compileSpec(parseSpec('rep : report | null ;', 'r.flume'), {
    catalog: builtinCatalog(),
    context: testContext({ nodeName: 'n' }),
    file: 'r.flume',
  });
  // Outside a host (validate, --check) it builds and would report no pipelines.
  assert.ok(alone!.makeSource());
});

test('an agent file with periodMillis = 0 is refused before anything runs, naming the key', () => {
  const host = new AgentHost('a1', builtinCatalog(), testContext({ nodeName: 'a1' }));
  const file = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sources.r1.type = report',
    'a1.sources.r1.periodMillis = 0',
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    '',
  ].join('\n');
  assert.throws(
    () => host.check({ text: file, file: 'a1.conf' }),
    (e: unknown) =>
      isSluiceError(e) &&
      e.oneLine() === 'a1.conf:4: a1.sources.r1.periodMillis: periodMillis must be positive, got 0',
  );
});
