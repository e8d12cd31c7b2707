import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bodies, pull, raceTimeout, testContext } from '../../test/support/source-helpers.js';
import { BoundArgs } from '../catalog/types.js';
import { memoryLogger } from '../core/logger.js';
import { A_TAILSRCFILE, multitailSource, TailSource, tailSource } from './tail.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-tail-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (name = 'f') => join(dir, `${name}-${++n}.log`);
const lines = (prefix: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${from + i}`);
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

/** Polls slowly on purpose in some tests; 20 ms keeps the others quick. */
function tail(path: string | string[], opts: { startFromEnd?: boolean; pollMs?: number } = {}) {
  const log = memoryLogger();
  const src = new TailSource(Array.isArray(path) ? path : [path], log, { pollMs: 20, ...opts });
  return { src, log };
}

// 30 s: a deadline against a hang, not a speed bound (a loaded machine polls files late).
async function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('tail', () => {
  it('reads a file, then what is appended, holding a partial line until its newline', async () => {
    const p = fresh();
    writeFileSync(p, 'a\nb\n');
    const { src } = tail(p);
    await src.open();
    assert.deepEqual(bodies((await pull(src, { want: 2 })).events), ['a', 'b']);
    appendFileSync(p, 'c\npart');
    assert.deepEqual(bodies((await pull(src, { want: 1 })).events), ['c']);
    const none = await pull(src, { want: 1, timeoutMs: 150 });
    assert.equal(none.events.length, 0, 'a line without newline must be held');
    appendFileSync(p, 'ial\n');
    const r = await pull(src, { want: 1 });
    assert.deepEqual(bodies(r.events), ['partial']);
    assert.equal(r.events[0]!.getAttrString(A_TAILSRCFILE), p.slice(dir.length + 1));
    await src.close();
  });

  it('follows the name across rename and re-create: every line once, in order', async () => {
    const p = fresh('rot');
    const expected: string[] = [];
    const write = (file: string, ls: string[]) => {
      appendFileSync(file, text(ls));
      expected.push(...ls);
    };
    write(p, lines('gen0-', 0, 100));
    const { src, log } = tail(p);
    await src.open();
    const got: string[] = [];
    got.push(...bodies((await pull(src, { want: 100 })).events));
    const catchUp = async () => {
      got.push(...bodies((await pull(src, { want: expected.length - got.length })).events));
    };
    for (let gen = 1; gen <= 3; gen++) {
      write(p, lines(`gen${gen - 1}-`, 100, 50)); // more for the current file
      const old = `${p}.${gen}`;
      renameSync(p, old);
      write(old, lines(`gen${gen - 1}-`, 150, 50)); // the writer still holds the renamed file
      if (gen === 2) {
        // The name is missing for a while: appends to the renamed file must still arrive.
        await catchUp();
        // Keep a next() pending (the source polls only then) until it has seen the name gone; a
        // deadline, not a count of pulls, so a loaded machine's late polls still get there.
        for (
          const end = Date.now() + 30_000;
          Date.now() < end && !log.lines.some((l) => l.includes('does not currently exist'));
        ) {
          got.push(...bodies((await pull(src, { want: 1, timeoutMs: 50 })).events));
        }
        write(old, lines(`gen${gen - 1}-`, 200, 50));
        await catchUp();
      }
      write(p, lines(`gen${gen}-`, 0, 100)); // a new file takes the name
      // A name-follower can only see a generation it gets to poll (as with tail -F), so read it.
      await catchUp();
    }
    assert.equal(got.length, expected.length);
    assert.deepEqual(got, expected);
    const extra = await pull(src, { want: 1, timeoutMs: 150 });
    assert.equal(extra.events.length, 0, 'no line may arrive twice');
    assert.ok(log.lines.some((l) => l.includes('was replaced by a new file')));
    await src.close();
  });

  it('follows the name across delete and re-create, logging that it waits', async () => {
    const p = fresh('del');
    writeFileSync(p, text(lines('one-', 0, 10)));
    const { src, log } = tail(p);
    await src.open();
    assert.equal((await pull(src, { want: 10 })).events.length, 10);
    rmSync(p);
    assert.equal((await pull(src, { want: 1, timeoutMs: 100 })).events.length, 0);
    await waitFor(() => log.lines.some((l) => l.includes('does not currently exist')));
    assert.ok(
      log.lines.includes(`INFO File ${p} does not currently exist, waiting for file to appear`),
      log.lines.join('\n'),
    );
    writeFileSync(p, text(lines('two-', 0, 10)));
    const r = await pull(src, { want: 10 });
    assert.deepEqual(bodies(r.events), lines('two-', 0, 10));
    await src.close();
  });

  it('waits for a missing file and reads it from its start when it appears', async () => {
    const p = fresh('late');
    const { src, log } = tail(p, { startFromEnd: true });
    await src.open();
    assert.deepEqual(log.lines, [`INFO File ${p} does not currently exist, waiting for file to appear`]);
    const pending = pull(src, { want: 3 });
    await new Promise((r) => setTimeout(r, 60));
    writeFileSync(p, 'x\ny\nz\n');
    assert.deepEqual(bodies((await pending).events), ['x', 'y', 'z']);
    assert.equal(log.lines.length, 1, 'the waiting message is logged once');
    await src.close();
  });

  it('startFromEnd skips what the file held at open', async () => {
    const p = fresh('end');
    writeFileSync(p, text(lines('old-', 0, 1000)));
    const { src } = tail(p, { startFromEnd: true });
    await src.open();
    appendFileSync(p, 'new-0\nnew-1\n');
    const r = await pull(src, { want: 2 });
    assert.deepEqual(bodies(r.events), ['new-0', 'new-1']);
    assert.equal((await pull(src, { want: 1, timeoutMs: 100 })).events.length, 0);
    await src.close();
  });

  it('reads a file truncated in place again from its start', async () => {
    const p = fresh('trunc');
    writeFileSync(p, text(lines('long-line-before-truncation-', 0, 20)));
    const { src, log } = tail(p);
    await src.open();
    assert.equal((await pull(src, { want: 20 })).events.length, 20);
    truncateSync(p, 0);
    appendFileSync(p, 'after-0\nafter-1\n');
    const r = await pull(src, { want: 2 });
    assert.deepEqual(bodies(r.events), ['after-0', 'after-1']);
    assert.ok(log.lines.some((l) => l.includes('was truncated')));
    await src.close();
  });

  it('close() ends a pending next() promptly even with a long poll interval', async () => {
    const p = fresh('close');
    writeFileSync(p, '');
    const { src } = tail(p, { pollMs: 60_000 });
    await src.open();
    const pending = src.next();
    assert.ok(pending instanceof Promise);
    const t0 = Date.now();
    await src.close();
    // Promptly: well within the 60 s poll, with room for a loaded machine.
    assert.equal(await raceTimeout(pending, 20_000), null);
    assert.ok(Date.now() - t0 < 20_000);
    assert.equal(src.next(), null);
  });

  it('a directory notification wakes it long before the next poll', async () => {
    const p = fresh('watch');
    writeFileSync(p, '');
    const { src } = tail(p, { pollMs: 30_000 });
    await src.open();
    // 20 s: still well before the 30 s poll, with room for a loaded machine.
    const pending = pull(src, { want: 1, timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    appendFileSync(p, 'woken\n');
    const r = await pending;
    assert.deepEqual(bodies(r.events), ['woken']);
    assert.ok(Date.now() - t0 < 20_000, 'woken by the notification, not the 30 s poll');
    await src.close();
  });

  it('reads a big file in batches of at most 1000, in order', async () => {
    const p = fresh('big');
    const count = 100_000;
    writeFileSync(p, text(lines('', 0, count)));
    const { src } = tail(p);
    await src.open();
    const r = await pull(src, { want: count, timeoutMs: 60_000 });
    assert.equal(r.events.length, count);
    assert.ok(Math.max(...r.batches) <= 1000);
    for (let i = 0; i < count; i++) if (r.events[i]!.body.toString() !== String(i)) assert.fail(`line ${i}`);
    for (let i = 1; i < count; i++) assert.ok(r.events[i]!.nanos > r.events[i - 1]!.nanos || i % 1000 === 0);
    await src.close();
  });

  it('multitail follows several files, each in order and tagged with its name', async () => {
    const a = fresh('ma');
    const b = fresh('mb');
    writeFileSync(a, text(lines('a', 0, 5)));
    const ctx = testContext();
    const src = multitailSource.build(BoundArgs.of('multitail', { filenames: [a, b] }), ctx);
    await src.open();
    writeFileSync(b, text(lines('b', 0, 5)));
    appendFileSync(a, text(lines('a', 5, 5)));
    const r = await pull(src, { want: 15 });
    const fromA = r.events.filter((e) => e.getAttrString(A_TAILSRCFILE) === a.slice(dir.length + 1));
    const fromB = r.events.filter((e) => e.getAttrString(A_TAILSRCFILE) === b.slice(dir.length + 1));
    assert.deepEqual(bodies(fromA), lines('a', 0, 10));
    assert.deepEqual(bodies(fromB), lines('b', 0, 5));
    await src.close();
  });

  it('the catalog entries build from bound arguments', async () => {
    const p = fresh('def');
    writeFileSync(p, 'old\n');
    const src = tailSource.build(BoundArgs.of('tail', { filename: p, startFromEnd: true }), testContext());
    await src.open();
    appendFileSync(p, 'new\n');
    assert.deepEqual(bodies((await pull(src, { want: 1 })).events), ['new']);
    await src.close();
    assert.throws(
      () => multitailSource.build(BoundArgs.of('multitail', { filenames: [] }), testContext()),
      /at least one file/,
    );
  });
});
