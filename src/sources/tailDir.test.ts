import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bodies, pull, raceTimeout, testContext } from '../../test/support/source-helpers.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { memoryLogger } from '../core/logger.js';
import { A_TAILSRCFILE } from './tail.js';
import { compileFileRegex, TailDirSource, tailDirSource } from './tailDir.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-taildir-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function freshDir(): string {
  const d = join(root, `d${++n}`);
  mkdirSync(d);
  return d;
}
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');
const lines = (prefix: string, count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);

function tailDir(dir: string, pattern = '.*') {
  const log = memoryLogger();
  const src = new TailDirSource(dir, compileFileRegex(pattern, {}), log, { pollMs: 20, scanMs: 40 });
  return { src, log };
}

/** Groups bodies by their tailSrcFile attribute. */
function byFile(events: { getAttrString(n: string): string | undefined; body: Buffer }[]) {
  const m: Record<string, string[]> = {};
  for (const e of events) (m[e.getAttrString(A_TAILSRCFILE) ?? '?'] ??= []).push(e.body.toString());
  return m;
}

describe('tailDir', () => {
  it('reads matching files from their start, ignores others, and picks up new files', async () => {
    const d = freshDir();
    writeFileSync(join(d, 'a.log'), text(lines('a', 3)));
    writeFileSync(join(d, 'skip.txt'), text(lines('s', 3)));
    mkdirSync(join(d, 'sub.log'));
    const { src } = tailDir(d, '.*\\.log');
    await src.open();
    const first = await pull(src, { want: 3 });
    assert.deepEqual(byFile(first.events), { 'a.log': ['a0', 'a1', 'a2'] });
    writeFileSync(join(d, 'b.log'), text(lines('b', 2)));
    appendFileSync(join(d, 'a.log'), 'a3\n');
    appendFileSync(join(d, 'skip.txt'), 's3\n');
    const second = await pull(src, { want: 3 });
    assert.deepEqual(byFile(second.events), { 'a.log': ['a3'], 'b.log': ['b0', 'b1'] });
    assert.equal((await pull(src, { want: 1, timeoutMs: 150 })).events.length, 0);
    await src.close();
  });

  it('does not read a file twice when rotation renames it inside the directory', async () => {
    const d = freshDir();
    const app = join(d, 'app.log');
    writeFileSync(app, text(lines('g0-', 10)));
    const { src, log } = tailDir(d);
    await src.open();
    const got: string[] = bodies((await pull(src, { want: 10 })).events);
    appendFileSync(app, text(lines('g0-', 5, 10)));
    renameSync(app, `${app}.1`);
    appendFileSync(`${app}.1`, text(lines('g0-', 5, 15)));
    writeFileSync(app, text(lines('g1-', 10)));
    got.push(...bodies((await pull(src, { want: 30 })).events));
    assert.deepEqual(
      got.filter((l) => l.startsWith('g0-')),
      lines('g0-', 20),
    );
    assert.deepEqual(
      got.filter((l) => l.startsWith('g1-')),
      lines('g1-', 10),
    );
    assert.equal((await pull(src, { want: 1, timeoutMs: 200 })).events.length, 0, 'nothing read twice');
    assert.equal(log.lines.filter((l) => l.includes('Following')).length, 2);
    await src.close();
  });

  it('finishes and drops a file that leaves the directory', async () => {
    const d = freshDir();
    const f = join(d, 'x.log');
    writeFileSync(f, 'x0\n');
    const { src, log } = tailDir(d, '.*\\.log');
    await src.open();
    assert.deepEqual(bodies((await pull(src, { want: 1 })).events), ['x0']);
    appendFileSync(f, 'x1\nx-partial');
    renameSync(f, join(d, 'x.old'));
    const r = await pull(src, { want: 2 });
    assert.deepEqual(bodies(r.events), ['x1', 'x-partial']);
    assert.ok(log.lines.some((l) => l.includes('left the directory')));
    await src.close();
  });

  it('a bad regex is a SluiceError naming the argument', () => {
    assert.throws(
      () =>
        tailDirSource.build(BoundArgs.of('tailDir', { dirname: root, fileregex: '(*oops' }), testContext()),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === 'SLUICE_SPEC_BAD_ARGUMENT' &&
        e.place?.field === 'fileregex' &&
        e.oneLine().startsWith('tailDir: fileregex: fileregex "(*oops" is not a valid regular expression'),
    );
  });

  it('a missing directory is SLUICE_NOT_FOUND at open; close() is prompt', async () => {
    const missing = tailDirSource.build(
      BoundArgs.of('tailDir', { dirname: join(root, 'nope') }),
      testContext(),
    );
    await assert.rejects(
      missing.open(),
      (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_NOT_FOUND',
    );
    const d = freshDir();
    const src = new TailDirSource(d, /.*/, memoryLogger(), { pollMs: 60_000, scanMs: 60_000 });
    await src.open();
    const p = src.next();
    assert.ok(p instanceof Promise);
    await src.close();
    assert.equal(await raceTimeout(p, 10_000), null);
  });
});
