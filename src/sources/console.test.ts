import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { bodies, pull, raceTimeout } from '../../test/support/source-helpers.js';
import { ConsoleSource } from './console.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-console-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('console', () => {
  it('reads lines from a pipe until it ends, the last unterminated line included', async () => {
    // A real pipe: a child process writes three lines in two pieces with a pause between them.
    const child = spawn(
      process.execPath,
      ['-e', "process.stdout.write('one\\ntw'); setTimeout(() => process.stdout.write('o\\nthree'), 50)"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const src = new ConsoleSource(child.stdout);
    await src.open();
    const r = await pull(src);
    assert.equal(r.drained, true);
    assert.deepEqual(bodies(r.events), ['one', 'two', 'three']);
    await src.close();
  });

  it('reads a large input in batches of at most 1000', async () => {
    const p = join(dir, 'big.txt');
    const count = 50_000;
    writeFileSync(p, Array.from({ length: count }, (_, i) => `line ${i}\n`).join(''));
    const src = new ConsoleSource(createReadStream(p));
    await src.open();
    const r = await pull(src, { timeoutMs: 60_000 });
    assert.equal(r.events.length, count);
    assert.equal(r.events[count - 1]!.body.toString(), `line ${count - 1}`);
    assert.ok(Math.max(...r.batches) <= 1000);
  });

  it('close() makes a pending next() resolve null and leaves the stream open', async () => {
    const input = new PassThrough();
    const src = new ConsoleSource(input);
    await src.open();
    input.write('a\n');
    assert.deepEqual(bodies((await pull(src, { want: 1 })).events), ['a']);
    const pending = src.next();
    assert.ok(pending instanceof Promise);
    await src.close();
    assert.equal(await raceTimeout(pending, 10_000), null);
    assert.equal(input.destroyed, false);
  });

  it('the catalog entry reads the process stdin', async () => {
    // A child node runs the built source on its own stdin and prints what it got as JSON.
    const script = join(dir, 'stdin.mts');
    const mod = new URL('./console.ts', import.meta.url).href;
    const helpers = new URL('../../test/support/source-helpers.ts', import.meta.url).href;
    const catalog = new URL('../catalog/types.ts', import.meta.url).href;
    writeFileSync(
      script,
      `import { consoleSource } from '${mod}';
import { pull, testContext } from '${helpers}';
import { BoundArgs } from '${catalog}';
const src = consoleSource.build(BoundArgs.of('console', {}), testContext());
await src.open();
const r = await pull(src, { timeoutMs: 10000 });
process.stdout.write(JSON.stringify({ drained: r.drained, lines: r.events.map((e) => e.body.toString()) }));
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('hello\nworld\n');
    // tsx compiling the child on a loaded machine: only a hang should reach this.
    const code = await raceTimeout(new Promise((r) => child.on('close', r)), 120_000);
    if (code === 'timeout') child.kill();
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(out), { drained: true, lines: ['hello', 'world'] });
  });
});
