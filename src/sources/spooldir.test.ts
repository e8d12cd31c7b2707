import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { testContext } from '../../test/support/source-helpers.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { ComponentProperties } from '../catalog/properties.js';
import { takeAck } from '../core/ack.js';
import { SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import { META_FILE, type SpoolDirSource, spoolDirSource } from './spooldir.js';

function make(props: Record<string, string>): SpoolDirSource {
  const p = new ComponentProperties('source r1', spoolDirSource.properties, { pollDelay: '20', ...props });
  return spoolDirSource.create(p, testContext()) as SpoolDirSource;
}

function spool(): string {
  return tempDir('spool');
}

function lines(n: number, tag: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `${tag}-${i}\n`;
  return s;
}

/** next() with a bound: a source that has nothing to read waits for files forever. */
async function next(src: SpoolDirSource, ms = 2000): Promise<Batch | null | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    src.next(),
    new Promise<'timeout'>((res) => (t = setTimeout(() => res('timeout'), ms))),
  ]);
  clearTimeout(t);
  return r;
}

/** The next batch; acked ok at once (as by a runner whose put committed) unless `ack` is false. */
async function batch(src: SpoolDirSource, ack = true): Promise<Batch> {
  // 30 s: waiting for a batch that must come, so only a hang may time out (the 2 s default of next()
  // is for checks that nothing comes).
  const b = await next(src, 30_000);
  assert.ok(Array.isArray(b), `expected a batch, got ${String(b)}`);
  if (ack) takeAck(b)!.ok();
  return b;
}

function bodies(b: Batch): string[] {
  return b.map((e) => e.body.toString('utf8'));
}

test('reads files oldest first and renames each only once every batch of it was acked ok', async () => {
  const dir = spool();
  writeFileSync(join(dir, 'b.log'), lines(3, 'b'));
  writeFileSync(join(dir, 'a.log'), lines(5, 'a'));
  utimesSync(join(dir, 'a.log'), new Date(1000), new Date(1000));
  const src = make({ spoolDir: dir, batchSize: '3', fileHeader: 'true', basenameHeader: 'true' });
  await src.open();
  const b1 = await batch(src);
  assert.deepEqual(bodies(b1), ['a-0', 'a-1', 'a-2']);
  assert.equal(b1[0]!.getAttrString('file'), join(dir, 'a.log'));
  assert.equal(b1[0]!.getAttrString('basename'), 'a.log');
  const b2 = await batch(src, false);
  assert.deepEqual(bodies(b2), ['a-3', 'a-4']);
  // Every event of a.log was handed out but its last batch is not acked: it keeps its name, and the
  // next file waits.
  assert.equal(await next(src, 100), 'timeout');
  assert.ok(existsSync(join(dir, 'a.log')));
  takeAck(b2)!.ok();
  const b3 = await batch(src);
  assert.deepEqual(bodies(b3), ['b-0', 'b-1', 'b-2']);
  assert.ok(existsSync(join(dir, 'a.log.COMPLETED')));
  assert.ok(!existsSync(join(dir, 'a.log')));
  assert.ok(existsSync(join(dir, 'b.log')));
  assert.equal(await next(src, 100), 'timeout');
  await waitFor(() => existsSync(join(dir, 'b.log.COMPLETED')), 'b.log to be marked done', 30_000);
  await src.close();
});

test('a restart resumes after the last batch acked ok (the one in flight is read again)', async () => {
  const dir = spool();
  writeFileSync(join(dir, 'x.log'), lines(25, 'x'));
  const s1 = make({ spoolDir: dir, batchSize: '10' });
  await s1.open();
  assert.equal((await batch(s1))[0]!.body.toString(), 'x-0');
  assert.equal((await batch(s1))[0]!.body.toString(), 'x-10');
  assert.deepEqual(bodies(await batch(s1, false)), ['x-20', 'x-21', 'x-22', 'x-23', 'x-24']);
  await s1.close();
  const meta = JSON.parse(readFileSync(join(dir, '.flumespool', META_FILE), 'utf8'));
  assert.equal(meta.lines, 20);
  assert.equal(meta.offset, Buffer.byteLength(lines(20, 'x')));

  const s2 = make({ spoolDir: dir, batchSize: '10' });
  await s2.open();
  assert.deepEqual(bodies(await batch(s2)), ['x-20', 'x-21', 'x-22', 'x-23', 'x-24']);
  assert.equal(await next(s2, 100), 'timeout');
  // The file is renamed, then its position file removed: on a loaded machine after the timeout above.
  await waitFor(
    () => !existsSync(join(dir, '.flumespool', META_FILE)),
    'the position file to be removed',
    30_000,
  );
  assert.deepEqual(readdirSync(dir).sort(), ['.flumespool', 'x.log.COMPLETED']);
  await s2.close();
});

test('long lines are cut at maxLineLength characters and continue as the next event; a last line without \\n counts', async () => {
  const dir = spool();
  writeFileSync(join(dir, 'l.txt'), `${'a'.repeat(5000)}\nshort\n${'é'.repeat(7)}\ntail`);
  const src = make({ spoolDir: dir, 'deserializer.maxLineLength': '2048', batchSize: '100' });
  await src.open();
  const b = await batch(src);
  assert.deepEqual(
    b.map((e) => e.body.length),
    [2048, 2048, 904, 5, 14, 4],
  );
  await src.close();
  const src2 = make({ spoolDir: spool(), 'deserializer.maxLineLength': '3' });
  writeFileSync(join((src2 as unknown as { dir: string }).dir, 'u.txt'), `${'é'.repeat(7)}\n`);
  await src2.open();
  // Characters, not bytes: 'é' is two bytes in UTF-8.
  assert.deepEqual(bodies(await batch(src2)), ['ééé', 'ééé', 'é']);
  await src2.close();
});

test('a line far longer than the body limit arrives whole, in maxLineLength pieces, and the file is marked done', async () => {
  const dir = spool();
  const long = 'é'.repeat(50_000);
  writeFileSync(join(dir, 'big.txt'), `${long}\nnext\n`);
  const src = make({ spoolDir: dir, 'deserializer.maxLineLength': '2048', batchSize: '100' });
  await src.open();
  const got = bodies(await batch(src));
  assert.equal(got.length, 26);
  assert.ok(got.slice(0, 24).every((t) => t.length === 2048));
  assert.equal(got.slice(0, 25).join(''), long);
  assert.equal(got[25], 'next');
  assert.equal(await next(src, 100), 'timeout');
  assert.ok(existsSync(join(dir, 'big.txt.COMPLETED')));
  await src.close();
});

test('a file changed after it was read stops the source with an error naming it', async () => {
  const dir = spool();
  const f = join(dir, 'm.log');
  writeFileSync(f, lines(4, 'm'));
  const src = make({ spoolDir: dir, batchSize: '2' });
  await src.open();
  await batch(src);
  await batch(src);
  appendFileSync(f, 'late\n');
  // Appended bytes are read like the rest (Flume does the same); the change is caught at completion.
  assert.deepEqual(bodies(await batch(src)), ['late']);
  await assert.rejects(
    src.next(),
    (e: unknown) =>
      e instanceof SluiceError &&
      /m\.log" was modified after it was read/.test(e.message) &&
      e.oneLine().startsWith('source r1: ') &&
      !e.message.includes('source r1'),
  );
  assert.ok(existsSync(f), 'the modified file is left as it is');
  await src.close();
});

test('a completed name that is already taken is an error, not an overwrite', async () => {
  const dir = spool();
  writeFileSync(join(dir, 'd.log'), 'new\n');
  writeFileSync(join(dir, 'd.log.COMPLETED'), 'old\n');
  const src = make({ spoolDir: dir });
  await src.open();
  assert.deepEqual(bodies(await batch(src)), ['new']);
  await assert.rejects(src.next(), /d\.log\.COMPLETED" already exists/);
  assert.equal(readFileSync(join(dir, 'd.log.COMPLETED'), 'utf8'), 'old\n');
  await src.close();
});

test('deletePolicy immediate, tracker_dir, include and ignore patterns, recursive search', async () => {
  const dir = spool();
  writeFileSync(join(dir, 'keep.log'), 'k\n');
  writeFileSync(join(dir, 'skip.tmp'), 's\n');
  writeFileSync(join(dir, 'ignored.log'), 'i\n');
  const del = make({
    spoolDir: dir,
    deletePolicy: 'immediate',
    includePattern: '.*\\.log',
    ignorePattern: 'ignored.*',
  });
  await del.open();
  assert.deepEqual(bodies(await batch(del)), ['k']);
  assert.equal(await next(del, 100), 'timeout');
  await del.close();
  assert.deepEqual(readdirSync(dir).sort(), ['.flumespool', 'ignored.log', 'skip.tmp']);

  const dir2 = spool();
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir2, 'sub'));
  writeFileSync(join(dir2, 'sub', 'deep.log'), 'deep\n');
  writeFileSync(join(dir2, 'top.log'), 'top\n');
  utimesSync(join(dir2, 'sub', 'deep.log'), new Date(1000), new Date(1000));
  const tr = make({ spoolDir: dir2, trackingPolicy: 'tracker_dir', recursiveDirectorySearch: 'true' });
  await tr.open();
  assert.deepEqual(bodies(await batch(tr)), ['deep']);
  assert.deepEqual(bodies(await batch(tr)), ['top']);
  assert.equal(await next(tr, 100), 'timeout');
  await tr.close();
  assert.ok(
    existsSync(join(dir2, 'top.log')) && existsSync(join(dir2, 'sub', 'deep.log')),
    'tracked files keep their names',
  );
  assert.ok(existsSync(join(dir2, '.flumespool', 'top.log.COMPLETED')));
  assert.ok(existsSync(join(dir2, '.flumespool', 'sub', 'deep.log.COMPLETED')));
  // A new source over the same directory does not read them again.
  const again = make({ spoolDir: dir2, trackingPolicy: 'tracker_dir', recursiveDirectorySearch: 'true' });
  await again.open();
  assert.equal(await next(again, 100), 'timeout');
  await again.close();
});

test('decodeErrorPolicy: FAIL names the file and line, REPLACE and IGNORE keep going', async () => {
  const bad = Buffer.concat([Buffer.from('ok\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from(' end\n')]);
  const d1 = spool();
  writeFileSync(join(d1, 'bin.log'), bad);
  const fail = make({ spoolDir: d1 });
  await fail.open();
  await assert.rejects(fail.next(), /bin\.log" line 2 \(byte 3\) is not valid UTF-8/);
  await fail.close();

  const d2 = spool();
  writeFileSync(join(d2, 'bin.log'), bad);
  const rep = make({ spoolDir: d2, decodeErrorPolicy: 'REPLACE' });
  await rep.open();
  assert.deepEqual(bodies(await batch(rep)), ['ok', 'bad \uFFFD\uFFFD end']);
  await rep.close();

  const d3 = spool();
  writeFileSync(join(d3, 'bin.log'), bad);
  const ign = make({ spoolDir: d3, decodeErrorPolicy: 'IGNORE' });
  await ign.open();
  assert.deepEqual(bodies(await batch(ign)), ['ok', 'bad  end']);
  await ign.close();

  const d4 = spool();
  writeFileSync(join(d4, 'latin.log'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
  const latin = make({ spoolDir: d4, inputCharset: 'ISO-8859-1' });
  await latin.open();
  assert.deepEqual(bodies(await batch(latin)), ['café']);
  await latin.close();
});

test('configuration errors name the key; a missing spoolDir fails at open', async () => {
  assert.throws(() => make({}), /source r1: spoolDir is required/);
  assert.throws(
    () => make({ spoolDir: '/tmp', consumeOrder: 'newest' }),
    /consumeOrder must be one of oldest, youngest, random/,
  );
  assert.throws(
    () => make({ spoolDir: '/tmp', includePattern: '(' }),
    /includePattern "\(" is not a valid regular expression/,
  );
  const src = make({ spoolDir: join(spool(), 'nope') });
  await assert.rejects(src.open(), /cannot open spooling directory .*nope.*no such directory/);
});

test('close() ends a next() that is waiting for files', async () => {
  const src = make({ spoolDir: spool(), pollDelay: '10000' });
  await src.open();
  const p = src.next();
  await new Promise((r) => setTimeout(r, 20));
  await src.close();
  assert.equal(await p, null);
});
