import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { testContext } from '../../test/support/source-helpers.js';
import { tempDir } from '../../test/support/tmp.js';
import { ComponentProperties } from '../catalog/properties.js';
import { takeAck } from '../core/ack.js';
import type { Batch } from '../core/event.js';
import { type Position, type TaildirSource, taildirSource } from './taildir-ng.js';

function make(props: Record<string, string>): TaildirSource {
  const p = new ComponentProperties('source r1', taildirSource.properties, {
    backoffSleepIncrement: '10',
    maxBackOffSleep: '20',
    writePosInterval: '0',
    ...props,
  });
  return taildirSource.create(p, testContext()) as TaildirSource;
}

// 30 s by default: waiting for a batch that must come; checks that nothing comes pass their own short bound.
async function next(src: TaildirSource, ms = 30_000): Promise<Batch | null | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    src.next(),
    new Promise<'timeout'>((res) => (t = setTimeout(() => res('timeout'), ms))),
  ]);
  clearTimeout(t);
  return r;
}

/**
 * Pulls until `want` bodies arrived (acking each batch ok, as a runner whose put committed) or 30 s
 * passed (a deadline against a hang: a loaded machine polls the files late).
 */
async function take(src: TaildirSource, want: number): Promise<Batch> {
  const out: Batch = [];
  const deadline = Date.now() + 30_000;
  while (out.length < want && Date.now() < deadline) {
    const b = await next(src, deadline - Date.now());
    if (b === 'timeout' || b === null) break;
    takeAck(b)!.ok();
    out.push(...b);
  }
  return out;
}

const bodies = (b: Batch) => b.map((e) => e.body.toString());

/** A TAILDIR source following one file `name` (written with `content`) in a fresh directory, opened. */
async function followOne(
  name: string,
  content: string,
  props: Record<string, string> = {},
): Promise<{ f: string; src: TaildirSource }> {
  const root = tempDir('taildir');
  const f = join(root, name);
  writeFileSync(f, content);
  const src = make({
    positionFile: join(root, 'pos.json'),
    filegroups: 'g',
    'filegroups.g': join(root, name.replace(/\./g, '\\.')),
    ...props,
  });
  await src.open();
  return { f, src };
}

test('two file groups with their headers; only complete lines become events', async () => {
  const root = tempDir('taildir');
  mkdirSync(join(root, 'a'));
  mkdirSync(join(root, 'b'));
  writeFileSync(join(root, 'a', 'one.log'), 'a1\na2\npart');
  writeFileSync(join(root, 'a', 'skip.txt'), 'no\n');
  writeFileSync(join(root, 'b', 'x.log'), 'b1\n');
  const src = make({
    positionFile: join(root, 'pos.json'),
    filegroups: 'g1 g2',
    'filegroups.g1': join(root, 'a', '.*\\.log'),
    'filegroups.g2': join(root, 'b', 'x.log'),
    'headers.g1.kind': 'first',
    'headers.g2.kind': 'second',
    fileHeader: 'true',
  });
  await src.open();
  const got = await take(src, 3);
  assert.deepEqual(bodies(got).sort(), ['a1', 'a2', 'b1']);
  const a1 = got.find((e) => e.body.toString() === 'a1')!;
  assert.equal(a1.getAttrString('kind'), 'first');
  assert.equal(a1.getAttrString('file'), join(root, 'a', 'one.log'));
  assert.equal(got.find((e) => e.body.toString() === 'b1')!.getAttrString('kind'), 'second');
  appendFileSync(join(root, 'a', 'one.log'), 'ial\n');
  assert.deepEqual(bodies(await take(src, 1)), ['partial']);
  await src.close();
});

test('positions advance on ack ok, are written as [{inode,pos,file}], and a restart resumes', async () => {
  const root = tempDir('taildir');
  const f = join(root, 'app.log');
  writeFileSync(f, 'l0\nl1\nl2\nl3\nl4\n');
  const props = {
    positionFile: join(root, 'state', 'pos.json'),
    filegroups: 'g',
    'filegroups.g': join(root, 'app\\.log'),
    batchSize: '2',
  };
  const s1 = make(props);
  await s1.open();
  const b1 = (await next(s1)) as Batch;
  assert.deepEqual(bodies(b1), ['l0', 'l1']);
  assert.deepEqual(s1.positions(), [{ inode: statSync(f).ino, pos: 0, file: f }]);
  takeAck(b1)!.ok();
  assert.deepEqual(bodies((await next(s1)) as Batch), ['l2', 'l3']);
  // l0 and l1 are committed (acked ok); l2 and l3 are in flight.
  assert.deepEqual(s1.positions(), [{ inode: statSync(f).ino, pos: 6, file: f }]);
  await s1.close();
  const saved = JSON.parse(readFileSync(join(root, 'state', 'pos.json'), 'utf8')) as Position[];
  assert.deepEqual(saved, [{ inode: statSync(f).ino, pos: 6, file: f }]);

  appendFileSync(f, 'l5\n');
  const s2 = make(props);
  await s2.open();
  assert.deepEqual(bodies(await take(s2, 4)), ['l2', 'l3', 'l4', 'l5']);
  assert.equal(await next(s2, 100), 'timeout');
  await s2.close();
  assert.equal((JSON.parse(readFileSync(join(root, 'state', 'pos.json'), 'utf8')) as Position[])[0]!.pos, 18);
});

test('a failed batch is read again from the committed position; batches in flight after it come again too', async () => {
  const { f, src } = await followOne('app.log', 'l0\nl1\nl2\nl3\nl4\nl5\n', {
    batchSize: '2',
    backoffSleepIncrement: '10',
  });
  const b1 = (await next(src)) as Batch;
  takeAck(b1)!.ok();
  const b2 = (await next(src)) as Batch;
  const b3 = (await next(src)) as Batch;
  assert.deepEqual(
    [bodies(b2), bodies(b3)],
    [
      ['l2', 'l3'],
      ['l4', 'l5'],
    ],
  );
  takeAck(b3)!.ok();
  takeAck(b2)!.fail(new Error('channel refused'));
  assert.deepEqual(bodies(await take(src, 4)), ['l2', 'l3', 'l4', 'l5']);
  assert.equal(await next(src, 100), 'timeout');
  assert.deepEqual(src.positions(), [{ inode: statSync(f).ino, pos: 18, file: f }]);
  await src.close();
});

test('a rotation by rename is followed by inode: the old file is read out, the new one from its start, nothing twice', async () => {
  const { f, src } = await followOne('app.log', 'r0\nr1\n');
  assert.deepEqual(bodies(await take(src, 2)), ['r0', 'r1']);
  renameSync(f, `${f}.1`);
  appendFileSync(`${f}.1`, 'late\n');
  writeFileSync(f, 'fresh\n');
  const after = bodies(await take(src, 2));
  assert.deepEqual(after.sort(), ['fresh', 'late']);
  assert.equal(await next(src, 150), 'timeout');
  await src.close();
});

test('CRLF lines lose their CR as in Flume; positions count every byte', async () => {
  const { f, src } = await followOne('win.log', 'w1\r\nw2\r\nbare\rcr\n');
  assert.deepEqual(bodies(await take(src, 3)), ['w1', 'w2', 'bare\rcr']);
  assert.equal(await next(src, 100), 'timeout');
  assert.deepEqual(src.positions(), [{ inode: statSync(f).ino, pos: 16, file: f }]);
  await src.close();
});

test('skipToEnd starts files without a recorded position at their end', async () => {
  const { f, src } = await followOne('old.log', 'history\n', { skipToEnd: 'true' });
  assert.equal(await next(src, 100), 'timeout');
  appendFileSync(f, 'new\n');
  assert.deepEqual(bodies(await take(src, 1)), ['new']);
  await src.close();
});

test('configuration errors name the key', () => {
  assert.throws(() => make({ positionFile: '/tmp/p.json' }), /source r1: filegroups is required/);
  assert.throws(
    () => make({ filegroups: 'g1' }),
    /file group "g1" is listed in filegroups but filegroups.g1 is not set/,
  );
  assert.throws(
    () => make({ filegroups: 'g', 'filegroups.g': '/var/log/(' }),
    /filegroups.g: "\(" is not a valid regular expression/,
  );
});
