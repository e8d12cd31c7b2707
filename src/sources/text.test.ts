import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bodies, pull, testContext } from '../../test/support/source-helpers.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { textSource } from './text.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-text-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const text = (filename: string) => textSource.build(BoundArgs.of('text', { filename }), testContext());

describe('text', () => {
  it('gives one event per line, keeps empty lines and \\r, ends with an unterminated line', async () => {
    const p = join(dir, 'small.txt');
    writeFileSync(p, 'alpha\n\nbeta\r\ngamma');
    const src = text(p);
    await src.open();
    const r = await pull(src);
    assert.equal(r.drained, true);
    assert.deepEqual(bodies(r.events), ['alpha', '', 'beta\r', 'gamma']);
    assert.equal(src.next(), null);
    await src.close();
  });

  it('reads a file bigger than a chunk with lines across chunk borders, in batches of at most 1000', async () => {
    const p = join(dir, 'big.txt');
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i}:${'x'.repeat(i % 97)}`);
    writeFileSync(p, `${lines.join('\n')}\n`);
    const src = text(p);
    await src.open();
    const r = await pull(src, { timeoutMs: 20_000 });
    assert.equal(r.drained, true);
    assert.deepEqual(bodies(r.events), lines);
    assert.ok(Math.max(...r.batches) <= 1000);
    await src.close();
  });

  it('an empty file is drained at once', async () => {
    const p = join(dir, 'empty.txt');
    writeFileSync(p, '');
    const src = text(p);
    await src.open();
    const r = await pull(src);
    assert.deepEqual(r, { events: [], batches: [], drained: true });
    await src.close();
  });

  it('a missing file is SLUICE_NOT_FOUND at open, naming the file', async () => {
    const p = join(dir, 'missing.txt');
    const src = text(p);
    await assert.rejects(
      src.open(),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === 'SLUICE_NOT_FOUND' &&
        e.oneLine() === `text: filename: cannot open "${p}": no such file or directory`,
    );
  });
});
