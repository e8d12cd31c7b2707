import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { textSink } from './text.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-text-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const build = (txtfile: string, format?: string) =>
  textSink.build(BoundArgs.of('text', format ? { txtfile, format } : { txtfile }), testContext());

test('text writes raw lines by default, overwriting an existing file with a warning', async () => {
  const path = join(dir, 'out.txt');
  writeFileSync(path, 'old content that must disappear\n'.repeat(100));
  const ctx = testContext();
  const sink = textSink.build(BoundArgs.of('text', { txtfile: path }), ctx);
  await sink.open();
  assert.equal(readFileSync(path, 'utf8'), '', 'truncated on open');
  assert.ok(
    ctx.logger.lines.some((l) => l.includes(`text: replacing ${path} (3200 bytes)`)),
    ctx.logger.lines.join('\n'),
  );
  await sink.append(makeBatch(3));
  await sink.append([Event.of(Buffer.from([0xff, 0x00, 0x41]))]);
  await sink.close();
  assert.deepEqual(
    readFileSync(path),
    Buffer.concat([Buffer.from('e0\ne1\ne2\n'), Buffer.from([0xff, 0x00, 0x41, 0x0a])]),
  );
});

test('a new text sink on a file this process wrote appends: a live reconfiguration loses nothing', async () => {
  const path = join(dir, 'reconfigured.txt');
  writeFileSync(path, 'from an earlier run\n');
  const first = build(path);
  await first.open();
  await first.append(makeBatch(2));
  await first.close();
  // The node's next version builds a new sink on the same file.
  const ctx = testContext();
  const second = textSink.build(BoundArgs.of('text', { txtfile: path }), ctx);
  await second.open();
  await second.append([Event.of('after')]);
  await second.close();
  assert.equal(readFileSync(path, 'utf8'), 'e0\ne1\nafter\n');
  assert.ok(!ctx.logger.lines.some((l) => l.includes('replacing')), ctx.logger.lines.join('\n'));
});

test('text honours the format argument', async () => {
  const path = join(dir, 'debug.txt');
  const sink = build(path, 'debug');
  await sink.open();
  await sink.append([
    Event.of('x', { host: 'h', timestamp: Date.UTC(2011, 0, 2, 3, 4, 5), attrs: { k: 'v' } }),
  ]);
  await sink.close();
  assert.equal(readFileSync(path, 'utf8'), 'h [INFO Sun Jan 02 03:04:05 UTC 2011] x { k : v }\n');
});

test('many batches land complete and in order', async () => {
  const path = join(dir, 'many.txt');
  const sink = build(path);
  await sink.open();
  for (let b = 0; b < 200; b++) await sink.append(makeBatch(50, 'l', b * 50));
  await sink.close();
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.length, 10001);
  assert.equal(lines[9999], 'l9999');
  assert.equal(lines[5000], 'l5000');
});

test('a missing directory fails open with the path; append before open is refused', async () => {
  const sink = build(join(dir, 'no', 'such', 'dir.txt'));
  await assert.rejects(
    sink.open(),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.code === 'SLUICE_NOT_FOUND' &&
      e.place?.component === 'text' &&
      /cannot create ".*dir\.txt": no such file or directory/.test(e.message),
  );
  assert.throws(
    () => sink.append(makeBatch(1)),
    (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_CLOSED',
  );
  await sink.close();
});

test('escapes in txtfile: one file per distinct path, values confined, an existing name kept', async () => {
  const out = join(dir, 'esc');
  mkdirSync(out);
  writeFileSync(join(out, 'part-r2'), 'older file that must survive\n');
  const sink = build(`${out}/part-%{rolltag}`);
  await sink.open();
  await sink.append([
    Event.of('a', { attrs: { rolltag: 'r1' } }),
    Event.of('b', { attrs: { rolltag: 'r2' } }),
    Event.of('c', { attrs: { rolltag: '../../up' } }),
    Event.of('d', { attrs: { rolltag: 'r1' } }),
  ]);
  await sink.close();
  const files = readdirSync(out).sort();
  assert.equal(files.length, 4, files.join(' '));
  assert.equal(readFileSync(join(out, 'part-r1'), 'utf8'), 'a\nd\n');
  assert.equal(readFileSync(join(out, 'part-%2E.%2F..%2Fup'), 'utf8'), 'c\n');
  assert.equal(readFileSync(join(out, 'part-r2'), 'utf8'), 'older file that must survive\n');
  const tagged = files.find((f) => f.startsWith('part-r2.'))!;
  assert.equal(readFileSync(join(out, tagged), 'utf8'), 'b\n');
});

test('txtfile patterns are checked when built: a lone % fails naming the argument, %% is a percent sign', async () => {
  assert.throws(
    () => build(join(dir, '100%.txt')),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.code === 'SLUICE_ESCAPE' &&
      e.place?.component === 'text' &&
      e.place.field === 'txtfile',
  );
  const sink = build(join(dir, '100%%.txt'));
  await sink.open();
  await sink.append(makeBatch(1));
  await sink.close();
  assert.equal(readFileSync(join(dir, '100%.txt'), 'utf8'), 'e0\n');
});

test('a txtfile pattern with escapes that names a directory fails when built, naming the argument', () => {
  assert.throws(
    () => build(join(dir, '%{host}/')),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.code === 'SLUICE_SPEC_BAD_ARGUMENT' &&
      e.oneLine() ===
        `text: txtfile: "${join(dir, '%{host}/')}" names a directory; give a file name after the last /`,
  );
});

test('a text sink reopened after a failure appends instead of truncating; a bad batch is only refused', async () => {
  const path = join(dir, 'reopen.txt');
  const sink = build(path, 'log4j');
  await sink.open();
  await sink.append(makeBatch(2));
  await sink.close();
  await sink.open();
  await sink.append(makeBatch(1, 'x'));
  await sink.close();
  assert.equal(readFileSync(path, 'utf8').split('\n').filter(Boolean).length, 3);
  assert.match(readFileSync(path, 'utf8'), /e0[\s\S]*e1[\s\S]*x0/);
});
