import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pull, testContext } from '../../test/support/source-helpers.js';
import { BoundArgs } from '../catalog/types.js';
import { isSluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { SeqfileWriter } from '../formats/seqfile.js';
import { seqfileSource } from './seqfile.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-seqfile-src-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function seqfile(name: string, n: number): { path: string; bytes: Buffer } {
  const w = new SeqfileWriter();
  const evs: Event[] = [];
  for (let i = 0; i < n; i++) evs.push(Event.of(`body ${i}`, { timestamp: 1000 + i, nanos: i, host: 'h' }));
  const bytes = Buffer.concat([w.header(), w.encode(evs)]);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

const build = (filename: string, ctx = testContext()) =>
  seqfileSource.build(BoundArgs.of('seqfile', { filename }), ctx);

test('reads every record in batches of at most 1000, then is drained', async () => {
  const { path } = seqfile('many.seq', 2500);
  const src = build(path);
  await src.open();
  const { events, batches, drained } = await pull(src);
  await src.close();
  assert.equal(drained, true);
  assert.equal(events.length, 2500);
  assert.deepEqual(
    events.slice(0, 3).map((e) => [e.body.toString(), e.timestamp, e.nanos]),
    [
      ['body 0', 1000, 0],
      ['body 1', 1001, 1],
      ['body 2', 1002, 2],
    ],
  );
  assert.ok(
    batches.every((b) => b > 0 && b <= 1000),
    batches.join(','),
  );
});

test('a truncated file yields its whole records and a warning', async () => {
  const { bytes } = seqfile('full.seq', 20);
  const path = join(dir, 'cut.seq');
  writeFileSync(path, bytes.subarray(0, bytes.length - 3));
  const ctx = testContext();
  const src = build(path, ctx);
  await src.open();
  const { events, drained } = await pull(src);
  await src.close();
  assert.equal(drained, true);
  assert.equal(events.length, 19);
  assert.equal(ctx.logger.lines.length, 1);
  assert.match(
    ctx.logger.lines[0]!,
    /^WARN .*cut\.seq: ignoring \d+ bytes of a truncated last record at byte \d+$/,
  );
});

test('a file that is not a SequenceFile fails with SLUICE_FORMAT; a missing one with SLUICE_NOT_FOUND', async () => {
  const path = join(dir, 'text.seq');
  writeFileSync(path, 'just some text\n');
  const src = build(path);
  await src.open();
  await assert.rejects(
    async () => src.next(),
    (e: unknown) =>
      isSluiceError(e) && e.code === 'SLUICE_FORMAT' && e.message.includes('at byte 0: not a SequenceFile'),
  );
  await src.close();
  const missing = build(join(dir, 'absent.seq'));
  await assert.rejects(missing.open(), (e: unknown) => isSluiceError(e) && e.code === 'SLUICE_NOT_FOUND');
});

test('close() ends the source: next() returns null', async () => {
  const { path } = seqfile('closed.seq', 10);
  const src = build(path);
  await src.open();
  await src.close();
  assert.equal(await src.next(), null);
});
