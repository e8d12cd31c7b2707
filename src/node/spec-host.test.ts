import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { SiteConfig } from '../core/config.js';
import { isSluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import { freePort } from '../core/ports.js';
import { builtinCatalog } from '../flow/builtins.js';
import { FileReloader } from './file-reload.js';
import type { PipelineHost } from './host.js';
import { SpecHost } from './spec-host.js';

function host() {
  const context = testContext({ nodeName: 'n' });
  return {
    h: new SpecHost({ catalog: builtinCatalog(), context, logger: context.logger }),
    logger: context.logger,
  };
}

/** Two endless nodes that hold nothing but an idle listening port each. */
const idle = (name: string, decorator = '') =>
  `${name} : avroSource(0, bind="127.0.0.1") | ${decorator ? `{ ${decorator} => null }` : 'null'} ;`;

test('reconfigure: a node whose spec prints the same runs on untouched; a changed one is replaced; a removed one stops', async (t) => {
  const { h } = host();
  t.after(() => h.stop());
  await h.start({ text: `${idle('a')}\n${idle('b')}`, file: 'n.flume' });
  const a = h.manager.get('a')!;
  const b = h.manager.get('b')!;
  await waitFor(() => a.state === 'ACTIVE' && b.state === 'ACTIVE', 'both nodes active');

  // Comments, spacing and the spelling of arguments are not changes.
  const same = await h.reconfigure({
    text: `// the same nodes\n${idle('a').replace(' : ', ':  ')}\n${idle('b')}`,
    file: 'n.flume',
  });
  assert.deepEqual([same.unchanged, same.replaced, same.added, same.removed], [['a', 'b'], [], [], []]);
  assert.equal(h.manager.get('a'), a);
  assert.equal(a.report().version, 2);

  const changed = await h.reconfigure({
    text: `${idle('a')}\n${idle('b', 'value("k", "v")')}`,
    file: 'n.flume',
  });
  assert.deepEqual([changed.unchanged, changed.replaced], [['a'], ['b']]);
  assert.equal(h.manager.get('a'), a);
  assert.equal(a.state, 'ACTIVE');
  assert.equal(b.state, 'IDLE', 'the old b was drained and stopped');
  assert.notEqual(h.manager.get('b'), b);
  await waitFor(() => h.manager.get('b')!.state === 'ACTIVE', 'the new b active');

  const removed = await h.reconfigure({ text: idle('a'), file: 'n.flume' });
  assert.deepEqual([removed.unchanged, removed.removed], [['a'], ['b']]);
  assert.deepEqual(
    h.reports().map((r) => [r.name, r.state, r.version]),
    [['a', 'ACTIVE', 4]],
  );
  await h.stop();
  await h.settled();
});

test('reconfigure: a changed node writing to the same text file keeps what its earlier version wrote', async (t) => {
  const dir = tempDir('spec-host-text', t);
  const out = join(dir, 'out.txt');
  const { h } = host();
  t.after(() => h.stop());
  await h.start({ text: `w : asciisynth(40, 8) | text("${out}") ;`, file: 'n.flume' });
  await waitFor(() => h.manager.get('w')!.state === 'IDLE', 'version 1 to write its 40 lines');
  const changed = await h.reconfigure({
    text: `w : asciisynth(25, 8) | { value("v", "2") => text("${out}") } ;`,
    file: 'n.flume',
  });
  assert.deepEqual(changed.replaced, ['w']);
  await waitFor(
    () => readFileSync(out, 'utf8').split('\n').length - 1 === 65,
    () => `65 lines (40 of version 1, 25 of version 2): ${readFileSync(out, 'utf8').split('\n').length - 1}`,
  );
});

test('reconfigure: an end-to-end node whose next version keeps its write-ahead log hands its unacknowledged groups over at once', async (t) => {
  const dir = tempDir('spec-host-handover', t);
  const input = join(dir, 'in.log');
  writeFileSync(input, `${Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n')}\n`);
  // No collector listens: nothing is ever acknowledged.
  const dead = await freePort();
  const logger = memoryLogger();
  const context = {
    ...testContext({ nodeName: 'n', logger }),
    config: SiteConfig.defaults().with({
      'flume.agent.logdir': join(dir, 'logs'),
      'flume.agent.ack.close.timeout': '1500',
    }),
  };
  const h = new SpecHost({ catalog: builtinCatalog(), context, logger });
  t.after(() => h.stop().catch(() => undefined));
  const e2e = (deco: string) =>
    `a : tail("${input}") | ${deco ? `{ ${deco} => agentE2ESink("127.0.0.1", ${dead}) }` : `agentE2ESink("127.0.0.1", ${dead})`} ;`;
  await h.start({ text: e2e(''), file: 'n.flume' });
  const pending = () =>
    (h.reports()[0]?.components ?? []).reduce((n, c) => n + (c.reliability?.groupsPending ?? 0), 0);
  await waitFor(
    () => pending() > 0,
    () => `a group pending: ${JSON.stringify(h.reports())}`,
  );
  // A new version that keeps the log: no wait for acknowledgements, the groups go to it.
  await h.reconfigure({ text: e2e('value("v", "2")'), file: 'n.flume' });
  assert.ok(
    logger.lines.some((l) =>
      /group\(s\) \(20 events\) not acknowledged yet: left in .* to the node's next version/.test(l),
    ),
    logger.lines.join('\n'),
  );
  assert.ok(!logger.lines.some((l) => /not acknowledged within/.test(l)), logger.lines.join('\n'));
  await waitFor(
    () => pending() > 0,
    () => `the next version holds the groups: ${JSON.stringify(h.reports())}`,
  );
  // The master's stand-in while a flow has no collector keeps the log for the version after it.
  const handedOver = () => logger.lines.filter((l) => /to the node's next version/.test(l)).length;
  await h.reconfigure({
    text: `a : tail("${input}") | fail("autoE2EChain: no collectors in flow (default)") ;`,
    file: 'n.flume',
  });
  assert.equal(handedOver(), 2, logger.lines.join('\n'));
  await h.reconfigure({ text: e2e(''), file: 'n.flume' });
  await waitFor(
    () => pending() > 0,
    () => `the version after the stand-in holds the groups: ${JSON.stringify(h.reports())}`,
  );
  assert.ok(!logger.lines.some((l) => /not acknowledged within/.test(l)), logger.lines.join('\n'));
  // A version without the log: the old one waits for acknowledgements up to its close timeout, as a
  // node that stops for good does, and says what stays on disk.
  await h.reconfigure({ text: `a : tail("${input}") | null ;`, file: 'n.flume' });
  assert.ok(
    logger.lines.some((l) => /not acknowledged within 1500 ms; they stay in /.test(l)),
    logger.lines.join('\n'),
  );
});

test('reconfigure: a tail node replaced live goes on where it was: no line twice, none skipped', async (t) => {
  const dir = tempDir('spec-host-tail', t);
  const input = join(dir, 'in.log');
  const out = join(dir, 'out.txt');
  const lines = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => `line ${from + i}\n`).join('');
  writeFileSync(input, lines(0, 500));
  const { h, logger } = host();
  t.after(() => h.stop());
  const spec = (fromEnd: boolean, tag: string) =>
    `a : tail("${input}", startFromEnd=${fromEnd}) | { value("v", "${tag}") => text("${out}") } ;`;
  const written = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
  await h.start({ text: spec(false, '1'), file: 'n.flume' });
  await waitFor(
    () => written().length === 500,
    () => `500 lines (${written().length})`,
  );
  // Lines land while the node is replaced, and after: version 2 (from the end, as configured) still
  // reads every one of them once, from where version 1 stopped.
  appendFileSync(input, lines(500, 100));
  const changed = await h.reconfigure({ text: spec(true, '2'), file: 'n.flume' });
  assert.deepEqual(changed.replaced, ['a']);
  appendFileSync(input, lines(600, 100));
  await waitFor(
    () => written().length >= 700,
    () => `700 lines (${written().length})`,
  );
  const got = written();
  assert.equal(got.length, 700, 'no line twice');
  assert.deepEqual(got, lines(0, 700).split('\n').filter(Boolean), 'every line once, in order');
  assert.ok(
    logger.lines.some((l) => /going on at byte \d+, where the node's previous version stopped/.test(l)),
    logger.lines.join('\n'),
  );
});

test('reconfigure: a tailDir node replaced live goes on in every file where it was', async (t) => {
  const dir = tempDir('spec-host-taildir', t);
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const out = join(dir, 'out.txt');
  const lines = (tag: string, from: number, n: number) =>
    Array.from({ length: n }, (_, i) => `${tag} ${from + i}\n`).join('');
  writeFileSync(join(logs, 'a.log'), lines('a', 0, 300));
  writeFileSync(join(logs, 'b.log'), lines('b', 0, 200));
  const { h } = host();
  t.after(() => h.stop());
  const spec = (tag: string) =>
    `d : tailDir("${logs}", fileregex="\\\\w+\\\\.log") | { value("v", "${tag}") => text("${out}") } ;`;
  const written = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
  await h.start({ text: spec('1'), file: 'n.flume' });
  await waitFor(
    () => written().length === 500,
    () => `500 lines (${written().length})`,
  );
  appendFileSync(join(logs, 'a.log'), lines('a', 300, 50));
  assert.deepEqual((await h.reconfigure({ text: spec('2'), file: 'n.flume' })).replaced, ['d']);
  appendFileSync(join(logs, 'b.log'), lines('b', 200, 50));
  await waitFor(
    () => written().length >= 600,
    () => `600 lines (${written().length})`,
  );
  const got = written();
  assert.equal(got.length, 600, 'no line twice');
  assert.deepEqual(
    got.filter((l) => l.startsWith('a ')),
    lines('a', 0, 350).split('\n').filter(Boolean),
  );
  assert.deepEqual(
    got.filter((l) => l.startsWith('b ')),
    lines('b', 0, 250).split('\n').filter(Boolean),
  );
});

test('reconfigure: a spec with an error is refused with its place and the nodes run on', async (t) => {
  const { h } = host();
  t.after(() => h.stop());
  await h.start({ text: idle('a'), file: 'n.flume' });
  const a = h.manager.get('a')!;
  await assert.rejects(
    h.reconfigure({ text: `${idle('a')}\nb : nosuchsource | null ;`, file: 'n.flume' }),
    (e) => {
      assert.ok(isSluiceError(e));
      assert.match(e.oneLine(), /^n\.flume:2:\d+: .*nosuchsource/);
      return true;
    },
  );
  assert.equal(h.manager.get('a'), a);
  assert.equal(h.version, 1);
  await h.stop();
});

test('reconfigure: a node in ERROR is started again even when its spec did not change', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  const { h } = host();
  t.after(() => h.stop());
  const text = `a : avroSource(${port}, bind="127.0.0.1") | null ;`;
  await h.start({ text, file: 'n.flume' });
  await waitFor(() => h.manager.get('a')!.state === 'ERROR', 'node a failed: its port is in use');
  await new Promise<void>((resolve) => blocker.close(() => resolve()));
  const changes = await h.reconfigure({ text, file: 'n.flume' });
  assert.deepEqual(changes.replaced, ['a']);
  await waitFor(() => h.manager.get('a')!.state === 'ACTIVE', 'node a active on its port');
});

test('report(): a logical node gives its source and each sink in the one shape', async (t) => {
  const dir = tempDir('spec-report', t);
  const input = join(dir, 'in.txt');
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const { h } = host();
  await h.start({
    text: `n : text(${JSON.stringify(input)}) | [ null, text(${JSON.stringify(join(dir, 'out.txt'))}) ] ;`,
    file: 'n.flume',
  });
  await h.settled();
  const [r] = h.reports();
  assert.equal(r!.kind, 'logical-node');
  assert.equal(r!.state, 'IDLE');
  assert.equal(r!.version, 1);
  const bytes = lines.reduce((n, l) => n + l.length, 0);
  const [source, ...sinks] = r!.components;
  assert.deepEqual(
    [source!.kind, source!.type, source!.eventsIn, source!.eventsOut, source!.bytes],
    ['source', 'text', 300, 300, bytes],
  );
  assert.deepEqual(
    sinks.map((s) => [s.kind, s.name, s.eventsIn, s.eventsOut, s.bytes]),
    [
      ['sink', 'null', 300, 300, bytes],
      ['sink', 'text', 300, 300, bytes],
    ],
  );
  for (const c of r!.components)
    assert.equal(
      c.latency.counts.reduce((a, b) => a + b, 0),
      c.batches,
      `${c.name}: one latency count per batch`,
    );
});

test('site limits per node: two hosts of one process cut bodies at their own flume.event.max.size.bytes', async (t) => {
  const dir = tempDir('site-limits', t);
  const input = join(dir, 'in.txt');
  writeFileSync(input, `${'x'.repeat(100)}\n${'y'.repeat(100)}\n`);
  const hosts = [10, 40].map((max) => {
    const context = testContext({ nodeName: `n${max}` });
    context.config = context.config.with({ 'flume.event.max.size.bytes': String(max) });
    return new SpecHost({ catalog: builtinCatalog(), context, logger: context.logger });
  });
  const out = (max: number) => join(dir, `out${max}.txt`);
  await Promise.all(
    hosts.map((h, i) =>
      h.start({
        text: `n : text(${JSON.stringify(input)}) | text(${JSON.stringify(out([10, 40][i]!))}) ;`,
        file: 'n.flume',
      }),
    ),
  );
  await Promise.all(hosts.map((h) => h.settled()));
  assert.deepEqual(readFileSync(out(10), 'utf8').split('\n'), ['x'.repeat(10), 'y'.repeat(10), '']);
  assert.deepEqual(readFileSync(out(40), 'utf8').split('\n'), ['x'.repeat(40), 'y'.repeat(40), '']);
  // Outside any node, the process value (32 KiB by default) applies.
  assert.equal(Event.of('z'.repeat(100)).body.length, 100);
});

test('FileReloader: a changed file is applied by polling; a refused one is logged once with its place and kept out', async (t) => {
  const dir = tempDir('file-reload', t);
  const file = join(dir, 'n.flume');
  writeFileSync(file, idle('a'));
  const { h, logger } = host();
  t.after(() => h.stop());
  await h.start({ text: readFileSync(file, 'utf8'), file });
  const reloader = new FileReloader(file, h, { intervalMs: 20, logger, initial: readFileSync(file, 'utf8') });
  reloader.start();
  t.after(() => reloader.stop());

  writeFileSync(file, `${idle('a')}\n${idle('b')}`);
  await waitFor(() => h.manager.get('b') !== undefined, 'node b started by polling alone');
  assert.equal(h.version, 2);

  writeFileSync(file, `${idle('a')}\nb : avroSource( | null ;`);
  await waitFor(() => logger.lines.some((l) => l.includes('refused')), 'the refusal logged');
  const refusal = logger.lines.filter((l) => l.includes('refused'));
  assert.match(refusal[0]!, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+`));
  assert.match(refusal[0]!, /running version 2/);
  // Polling does not try the same refused text again; an explicit reload (SIGHUP) does.
  await reloader.reload('file changed');
  assert.equal(logger.lines.filter((l) => l.includes('refused')).length, 1);
  assert.equal(await reloader.reload('SIGHUP'), undefined);
  assert.equal(logger.lines.filter((l) => l.includes('refused')).length, 2);
  assert.equal(h.version, 2);
  await h.stop();
});

test('FileReloader: requests during a slow reload join one waiting reload, which reads the latest text', async (t) => {
  const dir = tempDir('file-reload-slow', t);
  const file = join(dir, 'n.flume');
  writeFileSync(file, idle('a'));
  const { h, logger } = host();
  t.after(() => h.stop());
  await h.start({ text: readFileSync(file, 'utf8'), file });
  // The real host, made slow: each reconfiguration waits until the test lets it go.
  const applied: string[] = [];
  let release: () => void = () => {};
  const slow: PipelineHost = {
    get version() {
      return h.version;
    },
    start: (c) => h.start(c),
    stop: () => h.stop(),
    reports: () => h.reports(),
    async reconfigure(c) {
      applied.push(c.text);
      await new Promise<void>((r) => {
        release = r;
      });
      return h.reconfigure(c);
    },
  };
  const reloader = new FileReloader(file, slow, { intervalMs: 0, logger, initial: idle('a') });
  writeFileSync(file, `${idle('a')}\n${idle('b')}`);
  const first = reloader.reload('SIGHUP');
  await waitFor(() => applied.length === 1, 'the first reload under way');
  const waiting = [1, 2, 3, 4, 5].map(() => reloader.reload('file changed'));
  writeFileSync(file, `${idle('a')}\n${idle('c')}`);
  waiting.push(reloader.reload('SIGHUP'));
  assert.ok(
    waiting.every((w) => w === waiting[0]),
    'every request made during the reload is the same waiting one',
  );
  release();
  await first;
  await waitFor(() => applied.length === 2, 'the waiting reload under way');
  release();
  const changes = await waiting[0]!;
  assert.equal(applied.length, 2, 'six requests, one reload');
  assert.equal(applied[1], `${idle('a')}\n${idle('c')}`, 'the waiting reload read the latest text');
  assert.deepEqual(changes?.added, ['c']);
  assert.deepEqual(changes?.removed, ['b']);
  await h.stop();
});
