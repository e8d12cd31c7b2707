import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { testContext } from '../../test/mocks/sinks.js';
import { FakeWebHdfs } from '../../test/mocks/webhdfs.js';
import { validateDef } from '../catalog/registry.js';
import { BoundArgs, type SinkDef } from '../catalog/types.js';
import { SiteConfig } from '../core/config.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { SeqfileReader } from '../formats/seqfile.js';
import type { BucketedWriter } from '../storage/bucketed-writer.js';
import { COLLECTOR_SINKS, collectorSink, customDfsSink, dfsSink, escapedCustomDfsSink } from './collector.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-collector-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `t${++n}`);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function build(def: SinkDef, values: Record<string, string | number>, props: Record<string, string> = {}) {
  const ctx = testContext({ config: SiteConfig.defaults().with(props) });
  return { sink: def.build(BoundArgs.of(def.name, values), ctx), ctx };
}

const at = (iso: string, body: string, host: string) => Event.of(body, { timestamp: Date.parse(iso), host });
const TAG = /\d{8}-\d{9}\.\d+\.\d+/;

test('collectorSink buckets by %Y-%m-%d/%H00 and %{host} in the configured format', async () => {
  const dir = freshDir();
  const { sink } = build(
    collectorSink,
    { fsdir: `file://${dir}/%Y-%m-%d/%H00/`, fsfileprefix: '%{host}-', rollmillis: 60_000 },
    { 'flume.collector.output.format': 'raw' },
  );
  await sink.open();
  await sink.append([
    at('2010-06-10T18:58:01Z', 'a', 'server1'),
    at('2010-06-10T19:05:00Z', 'b', 'server1'),
    at('2010-06-10T18:01:00Z', 'c', 'server2'),
    at('2010-06-10T18:30:00Z', 'd', 'server1'),
  ]);
  await sink.close();
  const files = Object.fromEntries(
    listFiles(dir).map((f) => [f.replace(TAG, '<tag>'), readFileSync(join(dir, f), 'utf8')]),
  );
  assert.deepEqual(files, {
    '2010-06-10/1800/server1-<tag>': 'a\nd\n',
    '2010-06-10/1800/server2-<tag>': 'c\n',
    '2010-06-10/1900/server1-<tag>': 'b\n',
  });
});

test('collectorSink rolls every rollmillis into complete, renamed files', async () => {
  const dir = freshDir();
  const { sink } = build(
    collectorSink,
    { fsdir: dir, fsfileprefix: 'roll-', rollmillis: 30 },
    {
      'flume.collector.output.format': 'raw',
    },
  );
  await sink.open();
  await sink.append([Event.of('first')]);
  const w = sink as BucketedWriter;
  // A deadline against a hang: a loaded machine fires the roll timer late.
  for (const end = Date.now() + 30_000; w.filesCompleted === 0 && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 10));
  const rolled = listFiles(dir);
  assert.equal(rolled.length, 1, 'one complete file after the roll, no temporary');
  assert.match(rolled[0]!, /^roll-\d{8}-/);
  assert.equal(readFileSync(join(dir, rolled[0]!), 'utf8'), 'first\n');
  await sink.append([Event.of('second')]);
  await sink.close();
  const all = listFiles(dir);
  assert.equal(all.length, 2);
  assert.deepEqual(all.map((f) => readFileSync(join(dir, f), 'utf8')).sort(), ['first\n', 'second\n']);
});

test('collectorSink defaults: avrojson lines, gzip from flume.collector.dfs.compress.gzip', async () => {
  const dir = freshDir();
  const { sink } = build(
    collectorSink,
    { fsdir: dir, fsfileprefix: 'web-' },
    { 'flume.collector.dfs.compress.gzip': 'true' },
  );
  await sink.open();
  await sink.append([Event.of('hello', { host: 'h1', timestamp: 1258619833456, nanos: 12 })]);
  await sink.close();
  const [file] = listFiles(dir);
  assert.match(file!, /^web-\d{8}-\d{9}\.\d+\.\d+\.gz$/);
  const json = JSON.parse(gunzipSync(readFileSync(join(dir, file!))).toString()) as Record<string, unknown>;
  assert.equal(json.body, 'hello');
  assert.equal(json.host, 'h1');
  assert.equal(json.timestamp, 1258619833456);
});

test('collectorSink names avrodata files .avro and writes a container per file', async () => {
  const dir = freshDir();
  const { sink } = build(
    collectorSink,
    { fsdir: dir, fsfileprefix: 'a-' },
    { 'flume.collector.output.format': 'avrodata' },
  );
  await sink.open();
  await sink.append([Event.of('x'), Event.of('y')]);
  await sink.close();
  const [file] = listFiles(dir);
  assert.match(file!, /^a-.*\.avro$/);
  const bytes = readFileSync(join(dir, file!));
  assert.deepEqual(bytes.subarray(0, 4), Buffer.from([0x4f, 0x62, 0x6a, 0x01]), 'Avro container magic');
});

test('escapedCustomDfs writes exactly the escaped name, e.g. under a roll tag', async () => {
  const dir = freshDir();
  const { sink } = build(escapedCustomDfsSink, {
    hdfspath: `${dir}/%{host}`,
    file: 'file-%{rolltag}',
    format: 'raw',
  });
  await sink.open();
  await sink.append([
    Event.of('1', { host: 'a', attrs: { rolltag: '20100610-1' } }),
    Event.of('2', { host: 'b', attrs: { rolltag: '20100610-1' } }),
    Event.of('3', { host: 'a', attrs: { rolltag: '20100610-1' } }),
  ]);
  await sink.close();
  assert.deepEqual(listFiles(dir), ['a/file-20100610-1', 'b/file-20100610-1']);
  assert.equal(readFileSync(join(dir, 'a/file-20100610-1'), 'utf8'), '1\n3\n');
});

test('escapedCustomDfs with one argument takes the file name from the path', async () => {
  const dir = freshDir();
  const { sink } = build(
    escapedCustomDfsSink,
    { hdfspath: `file://${dir}/out-%{host}.log` },
    { 'flume.collector.output.format': 'raw' },
  );
  await sink.open();
  await sink.append([Event.of('z', { host: 'h' })]);
  await sink.close();
  assert.deepEqual(listFiles(dir), ['out-h.log']);
});

test('escapedCustomDfs keeps at most maxOpenFiles open and completes idle buckets after idleMillis', async () => {
  const dir = freshDir();
  const { sink } = build(escapedCustomDfsSink, {
    hdfspath: dir,
    file: '%{k}.log',
    format: 'raw',
    maxOpenFiles: 2,
  });
  const w = sink as BucketedWriter;
  await sink.open();
  await sink.append(['a', 'b', 'c'].map((k) => Event.of(k, { attrs: { k } })));
  assert.equal(w.openFiles, 2, 'the third bucket evicted the first');
  await sink.close();
  assert.deepEqual(listFiles(dir), ['a.log', 'b.log', 'c.log']);

  const idleDir = freshDir();
  const idle = build(escapedCustomDfsSink, {
    hdfspath: idleDir,
    file: '%{k}.log',
    format: 'raw',
    idleMillis: 30,
  });
  const iw = idle.sink as BucketedWriter;
  await idle.sink.open();
  await idle.sink.append(['x', 'y'].map((k) => Event.of(k, { attrs: { k } })));
  for (const end = Date.now() + 30_000; iw.filesCompleted < 2 && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(iw.filesCompleted, 2, 'idle buckets are completed without a close');
  assert.equal(iw.openFiles, 0);
  assert.deepEqual(listFiles(idleDir), ['x.log', 'y.log']);
  await idle.sink.close();
});

test('customdfs does not escape: % is a plain character', async () => {
  const dir = freshDir();
  const { sink } = build(customDfsSink, { hdfspath: `${dir}/100%{host}.txt`, format: 'raw' });
  await sink.open();
  await sink.append([Event.of('p', { host: 'h' })]);
  await sink.close();
  assert.deepEqual(listFiles(dir), ['100%{host}.txt']);
  assert.equal(readFileSync(join(dir, '100%{host}.txt'), 'utf8'), 'p\n');
});

test('dfs writes Flume OG seqfile records that read back as the same events', async () => {
  const dir = freshDir();
  const { sink } = build(dfsSink, { hdfspath: `${dir}/%{host}.seq` });
  const sent = [
    Event.of('one', { host: 'n1', timestamp: 1000, attrs: { k: 'v' } }),
    Event.of('two', { host: 'n1', timestamp: 2000 }),
  ];
  await sink.open();
  await sink.append(sent);
  await sink.close();
  assert.deepEqual(listFiles(dir), ['n1.seq']);
  const reader = new SeqfileReader();
  reader.push(readFileSync(join(dir, 'n1.seq')));
  const got: Event[] = [];
  for (let e = reader.next(); e; e = reader.next()) got.push(e);
  assert.deepEqual(
    got.map((e) => [e.body.toString(), e.host, e.timestamp, e.getAttrString('k')]),
    [
      ['one', 'n1', 1000, 'v'],
      ['two', 'n1', 2000, undefined],
    ],
  );
});

test('collectorSink writes to HDFS through WebHDFS', async () => {
  const hdfs = await FakeWebHdfs.start();
  const prev = process.env.HADOOP_USER_NAME;
  process.env.HADOOP_USER_NAME = 'collector';
  try {
    const { sink } = build(
      collectorSink,
      { fsdir: hdfs.uri('/flume/webdata/%Y-%m-%d/'), fsfileprefix: '%{host}-' },
      { 'flume.collector.output.format': 'raw' },
    );
    await sink.open();
    await sink.append([
      at('2011-01-01T10:00:00Z', 'hello', 'web1'),
      at('2011-01-02T10:00:00Z', 'world', 'web1'),
    ]);
    await sink.close();
    for (const [day, body] of [
      ['2011-01-01', 'hello\n'],
      ['2011-01-02', 'world\n'],
    ]) {
      const names = readdirSync(hdfs.local(`/flume/webdata/${day}`));
      assert.equal(names.length, 1);
      assert.match(names[0]!, /^web1-\d{8}-/);
      assert.equal(hdfs.read(`/flume/webdata/${day}/${names[0]}`).toString(), body);
    }
    assert.ok(hdfs.requests.filter((r) => r.server === 'namenode').every((r) => r.user === 'collector'));
  } finally {
    if (prev === undefined) delete process.env.HADOOP_USER_NAME;
    else process.env.HADOOP_USER_NAME = prev;
    await hdfs.stop();
  }
});

test('bad arguments fail at build time naming the sink and the argument', () => {
  const fails = (
    def: SinkDef,
    values: Record<string, string | number>,
    code: string,
    text: string,
    props = {},
  ) =>
    assert.throws(
      () => build(def, values, props),
      (e: unknown) => {
        assert.ok(e instanceof SluiceError, String(e));
        assert.equal(e.code, code);
        assert.equal(e.oneLine(), text);
        return true;
      },
    );
  fails(
    collectorSink,
    { fsdir: '/data/%Q', fsfileprefix: '' },
    'SLUICE_ESCAPE',
    'collectorSink: fsdir: unknown escape "%Q" (known: %{attr} %% %t %a %A %b %B %c %d %D %H %I %j %k %l %m %M %P %s %S %y %Y %z) at column 7 of "/data/%Q"',
  );
  fails(
    collectorSink,
    { fsdir: 's3://bucket/x' },
    'SLUICE_SPEC_BAD_ARGUMENT',
    'collectorSink: fsdir: unsupported file system "s3:" (use file://, hdfs://, webhdfs:// or a plain path) in "s3://bucket/x"',
  );
  fails(
    collectorSink,
    { fsdir: '/x', rollmillis: 0 },
    'SLUICE_SPEC_BAD_ARGUMENT',
    'collectorSink: rollmillis: rollmillis must be positive, got 0',
  );
  fails(
    escapedCustomDfsSink,
    { hdfspath: '/x/y', format: 'avrojsn' },
    'SLUICE_SPEC_BAD_ARGUMENT',
    'escapedCustomDfs: format: unknown output format "avrojsn" (did you mean "avrojson"?); known formats: raw, debug, syslog, log4j, avrojson, avrodata, seqfile, header_and_text, TEXT, default, HEADER_AND_TEXT',
  );
  fails(
    collectorSink,
    { fsdir: '/x' },
    'SLUICE_SPEC_BAD_ARGUMENT',
    'collectorSink: flume.collector.output.format: unknown output format "xml"; known formats: raw, debug, syslog, log4j, avrojson, avrodata, seqfile, header_and_text, TEXT, default, HEADER_AND_TEXT',
    { 'flume.collector.output.format': 'xml' },
  );
  fails(
    dfsSink,
    { hdfspath: 'hdfs://nn' },
    'SLUICE_SPEC_BAD_ARGUMENT',
    'dfs: hdfspath: "hdfs://nn" names a directory; give a file name after the last /',
  );
  fails(
    customDfsSink,
    { hdfspath: '/data/' },
    'SLUICE_SPEC_BAD_ARGUMENT',
    'customdfs: hdfspath: "/data/" names a directory; give a file name after the last /',
  );
});

test('an output directory that cannot be created is a SluiceError naming it; the sink still closes', async () => {
  const dir = freshDir();
  const { sink, ctx } = build(
    collectorSink,
    { fsdir: `${dir}/%{host}`, fsfileprefix: 'x' },
    { 'flume.collector.output.format': 'raw' },
  );
  const { writeFileSync } = await import('node:fs');
  writeFileSync(dir, 'a file where a directory should be');
  await sink.open();
  await assert.rejects(
    async () => sink.append([Event.of('a', { host: 'h' })]),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.message === `cannot create directory ${dir}/h: a parent is a file, not a directory` &&
      e.place?.component === 'collectorSink',
  );
  await sink.close();
  assert.ok(ctx.logger.lines.some((l) => l.includes(`collectorSink: cannot create directory ${dir}/h`)));
});

test('the definitions are valid catalog entries', () => {
  assert.deepEqual(
    COLLECTOR_SINKS.map((d) => d.name),
    ['collectorSink', 'escapedCustomDfs', 'customdfs', 'dfs'],
  );
  for (const def of COLLECTOR_SINKS) validateDef(def);
});
