import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { SluiceError } from '../../core/errors.js';
import { GzipFile } from './gzip.js';
import { LocalFileSystem } from './local.js';
import { FileExistsError } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-localfs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('writes chunks in order, asks the caller to wait past the high-water mark, and closes durably', async () => {
  const fs = new LocalFileSystem({ highWaterMark: 4096 });
  const path = join(dir, 'a.bin');
  const f = await fs.create(path);
  const expected: Buffer[] = [];
  let waits = 0;
  for (let i = 0; i < 2000; i++) {
    const chunk = Buffer.from(`line ${i} ${'x'.repeat(i % 50)}\n`);
    expected.push(chunk);
    const r = f.write(chunk);
    if (r) {
      waits++;
      await r;
    }
  }
  await f.close();
  assert.ok(waits > 0, 'a 4 KiB high-water mark must push back on ~80 KiB of writes');
  assert.equal(f.bytesWritten, Buffer.concat(expected).length);
  assert.deepEqual(readFileSync(path), Buffer.concat(expected));
  await assert.rejects(async () => f.write(Buffer.from('late')), { code: 'SLUICE_CLOSED' });
});

test('create refuses an existing file and rename never replaces one', async () => {
  const fs = new LocalFileSystem();
  const a = join(dir, 'exists.txt');
  const b = join(dir, 'other.txt');
  writeFileSync(a, 'old');
  await assert.rejects(fs.create(a), (e: unknown) => e instanceof FileExistsError && e.path === a);
  writeFileSync(b, 'new');
  await assert.rejects(fs.rename(b, a), FileExistsError);
  assert.equal(readFileSync(a, 'utf8'), 'old');
  assert.equal(readFileSync(b, 'utf8'), 'new');
  const c = join(dir, 'renamed.txt');
  await fs.rename(b, c);
  assert.equal(await fs.exists(b), false);
  assert.equal(readFileSync(c, 'utf8'), 'new');
});

test('mkdirs creates parents, accepts existing directories, and names the path when it cannot', async () => {
  const fs = new LocalFileSystem();
  const deep = join(dir, 'x', 'y', 'z');
  await fs.mkdirs(deep);
  await fs.mkdirs(deep);
  assert.equal(await fs.exists(deep), true);
  const file = join(dir, 'plain-file');
  writeFileSync(file, '');
  const bad = join(file, 'sub');
  await assert.rejects(fs.mkdirs(bad), (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.code, 'SLUICE_IO');
    assert.match(
      e.message,
      new RegExp(`cannot create directory ${bad.replace(/[/.]/g, '\\$&')}: a parent is a file`),
    );
    return true;
  });
});

test('gzip output gunzips to exactly the bytes written, through a slow underlying file', async () => {
  const fs = new LocalFileSystem({ highWaterMark: 1024 });
  const path = join(dir, 'data.gz');
  const f = new GzipFile(await fs.create(path));
  const parts: Buffer[] = [];
  // Pseudo-random bytes compress badly, so zlib's output really fills the 1 KiB file buffer.
  let seed = 7;
  for (let i = 0; i < 300; i++) {
    const b = Buffer.alloc(10_000);
    for (let j = 0; j < b.length; j++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      b[j] = seed >>> 16;
    }
    parts.push(b);
    const r = f.write(b);
    if (r) await r;
  }
  await f.close();
  assert.equal(f.bytesWritten, 3_000_000);
  assert.deepEqual(gunzipSync(readFileSync(path)), Buffer.concat(parts));
});
