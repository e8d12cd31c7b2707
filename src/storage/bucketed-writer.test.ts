import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FakeWebHdfs } from '../../test/mocks/webhdfs.js';
import { SluiceError } from '../core/errors.js';
import { type Batch, Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import {
  BucketedWriter,
  type BucketedWriterOptions,
  type ClosedFile,
  type FileFormat,
} from './bucketed-writer.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-bucketed-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `t${++n}`);

/** Lines of bodies between a header and a footer line, so a complete file is easy to recognise. */
const lines = (): FileFormat => ({
  header: () => Buffer.from('H\n'),
  encode: (b: Batch) => Buffer.from(b.map((e) => `${e.body.toString()}\n`).join('')),
  footer: () => Buffer.from('F\n'),
});

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

const TAG = /\d{8}-\d{9}\.\d+\.\d+/;

function writer(
  opts: Partial<BucketedWriterOptions> & { dir: string },
): BucketedWriter & { closed: ClosedFile[] } {
  const closed: ClosedFile[] = [];
  const w = new BucketedWriter({
    file: '',
    format: lines,
    component: 'test',
    onFileClosed: (f) => closed.push(f),
    ...opts,
  });
  return Object.assign(w, { closed });
}

const at = (iso: string, body: string, host = 'server1') =>
  Event.of(body, { timestamp: Date.parse(iso), host });

test('events land in the bucket of their own timestamp and host', async () => {
  const dir = freshDir();
  const w = writer({ dir: `file://${dir}/%Y-%m-%d/%H00`, file: '%{host}-' });
  await w.open();
  await w.append([
    at('2024-03-01T18:58:00Z', 'a1'),
    at('2024-03-01T19:05:00Z', 'a2'),
    at('2024-03-01T18:59:59Z', 'a3'),
    at('2024-03-01T18:10:00Z', 'b1', 'server2'),
  ]);
  // A late event still goes to the hour it happened in.
  await w.append([at('2024-03-02T00:30:00Z', 'c1'), at('2024-03-01T18:00:00Z', 'a4')]);
  await w.close();
  const files = listFiles(dir);
  assert.equal(files.length, 4, files.join(' '));
  const byDir = new Map(files.map((f) => [f.replace(TAG, '<tag>'), readFileSync(join(dir, f), 'utf8')]));
  assert.deepEqual(Object.fromEntries(byDir), {
    '2024-03-01/1800/server1-<tag>': 'H\na1\na3\na4\nF\n',
    '2024-03-01/1800/server2-<tag>': 'H\nb1\nF\n',
    '2024-03-01/1900/server1-<tag>': 'H\na2\nF\n',
    '2024-03-02/0000/server1-<tag>': 'H\nc1\nF\n',
  });
  assert.deepEqual(w.closed.map((c) => c.events).sort(), [1, 1, 1, 3]);
});

test('open files are hidden temporaries; a roll completes and renames them, later events go to new files', async () => {
  const dir = freshDir();
  const w = writer({ dir, file: 'web-' });
  await w.open();
  await w.append([Event.of('one'), Event.of('two')]);
  const during = listFiles(dir);
  assert.equal(during.length, 1);
  assert.match(during[0]!, /^\.web-\d{8}-.*\.tmp$/);
  await w.roll();
  const first = listFiles(dir);
  assert.equal(first.length, 1);
  assert.match(first[0]!, /^web-\d{8}-\d{9}\.\d+\.\d+$/);
  assert.equal(readFileSync(join(dir, first[0]!), 'utf8'), 'H\none\ntwo\nF\n');
  await w.append([Event.of('three')]);
  await w.close();
  const all = listFiles(dir);
  assert.equal(all.length, 2);
  assert.ok(all.every((f) => !f.endsWith('.tmp')));
  const second = all.find((f) => f !== first[0])!;
  assert.equal(readFileSync(join(dir, second), 'utf8'), 'H\nthree\nF\n');
  await assert.rejects(async () => w.append([Event.of('late')]), { code: 'SLUICE_CLOSED' });
});

test('rolls on a timer; an append during a roll waits for it and goes to the next file', async () => {
  const dir = freshDir();
  const w = writer({ dir, file: 'r-', rollMillis: 40 });
  await w.open();
  await w.append([Event.of('before')]);
  // A deadline against a hang: a loaded machine fires the roll timer late.
  for (const end = Date.now() + 30_000; w.filesCompleted === 0 && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(w.filesCompleted, 1, 'the timer must roll within 30 s');
  assert.equal(readFileSync(w.closed[0]!.uri, 'utf8'), 'H\nbefore\nF\n');

  const rolling = w.roll();
  const r = w.append([Event.of('during')]);
  assert.ok(r instanceof Promise, 'an append during a roll must wait');
  await Promise.all([rolling, r]);
  await w.close();
  const contents = w.closed.map((c) => readFileSync(c.uri, 'utf8'));
  assert.ok(contents.includes('H\nduring\nF\n'), contents.join('|'));
  assert.ok(listFiles(dir).every((f) => !f.endsWith('.tmp')));
});

/** Descriptors this process holds (Linux), to check the bound on open files for real. */
const openFds = (): number => {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
};

test('5,000 buckets with at most 100 open files all end up complete', async () => {
  const dir = freshDir();
  let peak = 0;
  let peakFds = 0;
  const baseFds = openFds();
  const sample = () => {
    peak = Math.max(peak, w.openFiles);
    peakFds = Math.max(peakFds, openFds() - baseFds);
  };
  const w = writer({ dir, file: 'k%{k}/part-', maxOpenFiles: 100, fs: { local: { sync: false } } });
  await w.open();
  for (let start = 0; start < 5000; start += 500) {
    const batch: Batch = [];
    for (let k = start; k < start + 500; k++) {
      batch.push(
        Event.of(`${k}a`, { attrs: { k: String(k) } }),
        Event.of(`${k}b`, { attrs: { k: String(k) } }),
      );
    }
    const r = w.append(batch);
    sample();
    if (r) {
      const timer = setInterval(sample, 1);
      await r.finally(() => clearInterval(timer));
    }
    sample();
  }
  await w.close();
  assert.ok(peak <= 100, `peak ${peak} open buckets`);
  if (baseFds > 0) assert.ok(peakFds <= 110, `peak ${peakFds} extra descriptors`);
  const files = listFiles(dir);
  assert.ok(
    files.every((f) => !f.includes('.tmp')),
    'no temporary file left',
  );
  assert.equal(files.length, 5000);
  const seen = new Set<string>();
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const m = /^H\n(\d+)a\n\1b\nF\n$/.exec(text);
    assert.ok(m, `${f} is complete: ${JSON.stringify(text)}`);
    assert.equal(f.split('/')[0], `k${m[1]}`);
    seen.add(m[1]!);
  }
  assert.equal(seen.size, 5000);
  assert.equal(w.filesCompleted, 5000);
});

test('an evicted bucket used again gets a second complete file', async () => {
  const dir = freshDir();
  const w = writer({ dir, file: '%{k}-', maxOpenFiles: 2 });
  await w.open();
  const ev = (k: string, body: string) => Event.of(body, { attrs: { k } });
  await w.append([ev('a', 'a1'), ev('b', 'b1')]);
  await w.append([ev('c', 'c1')]);
  assert.equal(w.openFiles, 2);
  await w.append([ev('a', 'a2')]);
  await w.close();
  const files = listFiles(dir);
  const contents = files.map((f) => `${f[0]}:${readFileSync(join(dir, f), 'utf8')}`).sort();
  assert.deepEqual(contents, ['a:H\na1\nF\n', 'a:H\na2\nF\n', 'b:H\nb1\nF\n', 'c:H\nc1\nF\n']);
});

test('gzip output gets .gz and gunzips to the uncompressed bytes', async () => {
  const dir = freshDir();
  const w = writer({ dir, file: 'z-', gzip: true, extension: '.txt' });
  await w.open();
  const bodies: string[] = [];
  for (let b = 0; b < 20; b++) {
    const batch: Batch = [];
    for (let i = 0; i < 100; i++) {
      bodies.push(`event ${b}.${i}`);
      batch.push(Event.of(`event ${b}.${i}`));
    }
    await w.append(batch);
  }
  await w.close();
  const files = listFiles(dir);
  assert.equal(files.length, 1);
  assert.match(files[0]!, /^z-\d{8}-\d{9}\.\d+\.\d+\.txt\.gz$/);
  const text = gunzipSync(readFileSync(join(dir, files[0]!))).toString();
  assert.equal(text, `H\n${bodies.join('\n')}\nF\n`);
  assert.equal(w.closed[0]!.bytes, Buffer.byteLength(text));
});

test('exact names are kept, and a taken name gets a tag instead of being replaced', async () => {
  const dir = freshDir();
  const w = writer({ dir, file: 'out.log', naming: 'exact' });
  await w.open();
  await w.append([Event.of('first')]);
  await w.roll();
  await w.append([Event.of('second')]);
  await w.close();
  const files = listFiles(dir);
  assert.equal(files.length, 2);
  assert.equal(readFileSync(join(dir, 'out.log'), 'utf8'), 'H\nfirst\nF\n');
  const other = files.find((f) => f !== 'out.log')!;
  assert.match(other, /^out\.log\.\d{8}-\d{9}\.\d+\.\d+$/);
  assert.equal(readFileSync(join(dir, other), 'utf8'), 'H\nsecond\nF\n');
});

test('idle buckets are closed and renamed without a roll', async () => {
  const dir = freshDir();
  const w = writer({ dir, file: 'idle-', idleTimeoutMs: 30 });
  await w.open();
  await w.append([Event.of('x')]);
  // A deadline against a hang: a loaded machine fires the roll timer late.
  for (const end = Date.now() + 30_000; w.filesCompleted === 0 && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(w.filesCompleted, 1);
  assert.equal(w.openFiles, 0);
  await w.close();
  assert.equal(readFileSync(w.closed[0]!.uri, 'utf8'), 'H\nx\nF\n');
});

test('a directory that cannot be created rejects the append with an error naming it', async () => {
  const dir = freshDir();
  const logger = memoryLogger();
  writeFileSync(`${dir}-file`, 'not a directory');
  const w = writer({ dir: `${dir}-file/%{host}`, file: 'x-', logger });
  await w.open();
  await assert.rejects(
    async () => w.append([Event.of('a', { host: 'h1' })]),
    (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.code, 'SLUICE_IO');
      assert.equal(
        e.oneLine(),
        `${dir}-file/h1: test: cannot create directory ${dir}-file/h1: a parent is a file, not a directory`,
      );
      return true;
    },
  );
  assert.equal(w.openFiles, 0);
  await w.close();
  assert.ok(logger.lines.some((l) => l.includes('cannot create directory')));
});

test('WebHDFS: buckets become complete renamed files; nothing is visible before close', async () => {
  const hdfs = await FakeWebHdfs.start();
  try {
    const w = writer({
      dir: hdfs.uri('/flume/%{host}'),
      file: 'web-',
      gzip: true,
      fs: { webhdfs: { user: 'flume', appendSize: 1 << 20 } },
    });
    await w.open();
    const sent: Record<string, string[]> = { a: [], b: [] };
    for (let i = 0; i < 300; i++) {
      const host = i % 3 === 0 ? 'b' : 'a';
      sent[host]!.push(`m${i}`);
      const r = w.append([Event.of(`m${i}`, { host })]);
      if (r) await r;
    }
    assert.equal(hdfs.count('CREATE', 'datanode'), 0, 'small files are buffered until close');
    await w.close();
    for (const host of ['a', 'b']) {
      const names = readdirSync(hdfs.local(`/flume/${host}`));
      assert.equal(names.length, 1, names.join(' '));
      assert.match(names[0]!, /^web-\d{8}-.*\.gz$/);
      const text = gunzipSync(hdfs.read(`/flume/${host}/${names[0]}`)).toString();
      assert.equal(text, `H\n${sent[host]!.join('\n')}\nF\n`);
    }
    assert.equal(hdfs.count('MKDIRS'), 2);
    assert.equal(hdfs.count('CREATE', 'datanode'), 2);
    assert.equal(hdfs.count('APPEND', 'datanode'), 0);
    assert.equal(hdfs.count('RENAME'), 2);
    const renames = hdfs.requests.filter((r) => r.op === 'RENAME').map((r) => r.path);
    assert.ok(
      renames.every((p) => /\/\.web-.*\.gz\.tmp$/.test(p)),
      renames.join(' '),
    );
  } finally {
    await hdfs.stop();
  }
});

test('a namenode gone at close is reported, and the writer still releases everything', async () => {
  const hdfs = await FakeWebHdfs.start();
  const logger = memoryLogger();
  const w = writer({ dir: hdfs.uri('/gone'), file: 'x-', logger, fs: { webhdfs: { user: 'flume' } } });
  await w.open();
  await w.append([Event.of('lost')]);
  await hdfs.stop();
  await assert.rejects(w.close(), (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.code, 'SLUICE_IO');
    assert.equal(e.retriable, true);
    assert.match(
      e.message,
      new RegExp(
        `^WebHDFS CREATE hdfs://127\\.0\\.0\\.1:${hdfs.port}/gone/\\.x-.*\\.tmp: connection refused$`,
      ),
    );
    return true;
  });
  assert.equal(w.filesCompleted, 0);
  assert.ok(
    logger.lines.some((l) => /ERROR .*the incomplete file stays as hdfs:\/\/.*\/gone\/\.x-.*\.tmp/.test(l)),
    logger.lines.join('\n'),
  );
});

test('hostile values stay under the directory, are counted, and the next event is written', async () => {
  const dir = freshDir();
  const logger = memoryLogger();
  const w = writer({ dir: `file://${dir}/data/%{host}/`, file: '%{host}-%{app}', logger });
  await w.open();
  await w.append([
    Event.of('e1', { host: '../../escape1' }),
    Event.of('e4', { host: 'h', attrs: { app: 'x/../../../../escape4' } }),
    Event.of('nul', { host: 'a\u0000b' }),
    Event.of('dots', { host: '..' }),
    Event.of('empty', { host: '' }),
  ]);
  await w.append([Event.of('ok', { host: 'web1', attrs: { app: 'nginx' } })]);
  await w.close();
  const files = listFiles(dir).map((f) => f.replace(TAG, '<tag>'));
  assert.deepEqual(files, [
    'data/%00/-<tag>',
    'data/%2E.%2F..%2Fescape1/%2E.%2F..%2Fescape1-<tag>',
    'data/%2E./%2E.-<tag>',
    'data/a%00b/a%00b-<tag>',
    'data/h/h-x%2F..%2F..%2F..%2F..%2Fescape4<tag>',
    'data/web1/web1-nginx<tag>',
  ]);
  assert.equal(
    readFileSync(join(dir, listFiles(dir).find((f) => f.startsWith('data/web1/'))!), 'utf8'),
    'H\nok\nF\n',
  );
  assert.deepEqual(w.stats, { pathsConfined: 5, pathsRefused: 0, appendsFailed: 0 });
  assert.equal(logger.lines.filter((l) => l.includes('rewritten')).length, 1, logger.lines.join('\n'));
});

test('a path that would leave the fixed directory refuses the whole batch; nothing is written', async () => {
  const dir = freshDir();
  const w = writer({ dir: `${dir}/in/%{a}/../..`, file: 'f' });
  await w.open();
  await assert.rejects(
    async () => w.append([Event.of('inside', { attrs: { a: 'x' } }), Event.of('bad', { attrs: { a: 'y' } })]),
    (e: unknown) =>
      e instanceof SluiceError && e.code === 'SLUICE_PATH_ESCAPE' && /is not under/.test(e.message),
  );
  await w.close();
  assert.equal(existsSync(dir), false, 'not even a directory was made');
  assert.deepEqual(w.stats, { pathsConfined: 0, pathsRefused: 1, appendsFailed: 1 });
});

test('per-batch faults (ENAMETOOLONG, EISDIR, an encoding error) fail that append; the writer goes on', async () => {
  const dir = freshDir();
  const picky = (): FileFormat => ({
    ...lines(),
    encode: (b: Batch) => {
      if (b.some((e) => e.body.toString() === 'poison')) throw new Error('cannot encode poison');
      return lines().encode(b);
    },
  });
  const w = writer({ dir: `${dir}/%{host}`, file: '%{name}%{a}%{b}', naming: 'exact', format: picky });
  await w.open();
  // One value is shortened to 100 bytes; three of them in one name are too long for the file system.
  const long = 'h'.repeat(300);
  await assert.rejects(
    async () => w.append([Event.of('long', { host: 'h', attrs: { name: long, a: long, b: long } })]),
    /ENAMETOOLONG|name too long/i,
  );
  await w.append([Event.of('d', { host: 'isdir', attrs: { name: 'sub' } })]);
  await w.roll();
  // `isdir/sub` is now a file; a bucket whose directory is that file cannot be created.
  const sub = new BucketedWriter({ dir: `${dir}/isdir/%{x}`, file: 'f', format: lines, component: 't' });
  await sub.open();
  await assert.rejects(async () => sub.append([Event.of('x', { attrs: { x: 'sub' } })]));
  await sub.close();
  assert.equal(sub.stats.appendsFailed, 1);
  await assert.rejects(async () => w.append([Event.of('poison', { host: 'web1' })]), /cannot encode poison/);
  await w.append([Event.of('after', { host: 'web1', attrs: { name: 'n' } })]);
  await w.close();
  assert.equal(readFileSync(join(dir, 'web1', 'n'), 'utf8'), 'H\nafter\nF\n');
  assert.equal(w.stats.appendsFailed, 2);
  assert.ok(!listFiles(dir).some((f) => f.includes('hhhh')));
});

test('a closed writer opens again (a sink group reopens a failed sink) and writes new files', async () => {
  const dir = freshDir();
  const w = writer({ dir, file: 'x-' });
  await w.open();
  await assert.rejects(async () => w.open(), /opened twice/);
  await w.append([Event.of('first')]);
  await w.close();
  await w.open();
  await w.append([Event.of('second')]);
  await w.close();
  const contents = listFiles(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
  assert.deepEqual(contents.sort(), ['H\nfirst\nF\n', 'H\nsecond\nF\n']);
});
