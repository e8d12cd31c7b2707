// The `sluice` binary as a user runs it: exit statuses, bytes on disk, and one-line errors that name
// the place (never a stack trace for a user's mistake).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../support/tmp.js';
import { waitForOutput } from '../support/wait.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');
const dir = tempDir('cli');

function sluice(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input,
    timeout: 60_000,
    cwd: dir,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: { status: number | null; stderr: string }, re: RegExp) {
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `a stack trace was printed:\n${r.stderr}`);
}

test('node -1 copies a 5,000-line file through value, batch, gzip, gunzip and unbatch byte for byte', () => {
  const input = join(dir, 'in.log');
  const output = join(dir, 'out.log');
  const lines = Array.from(
    { length: 5000 },
    (_, i) => `line ${i} "quoted" \\ tab\there ${'x'.repeat(i % 300)}`,
  );
  writeFileSync(input, `${lines.join('\n')}\n`);
  const spec = `n1 : text("${input}") | { value("k", "v") => { batch(100) => { gzip => { gunzip => { unbatch => text("${output}") } } } } } ;`;
  const r = sluice(['node', '-1', '-c', spec]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(input).equals(readFileSync(output)), 'output bytes differ from input');
});

test('node -1 runs several nodes, and -n picks one', () => {
  const a = join(dir, 'a.txt');
  const b = join(dir, 'b.txt');
  const spec = `x : asciisynth(10, 5) | text("${a}") ; y : asciisynth(7, 5) | text("${b}") ;`;
  assert.equal(sluice(['node', '-1', '-c', spec, '-n', 'y']).status, 0);
  assert.equal(readFileSync(b, 'utf8').split('\n').length - 1, 7);
  assert.throws(() => readFileSync(a));
  const r = sluice(['node', '-1', '-c', spec, '-n', 'z']);
  assertOneLineError(r, /no node named "z" \(it has: x, y\)/);
});

test('dump prints events in the debug format with special characters escaped', () => {
  const f = join(dir, 'dump.txt');
  writeFileSync(f, 'say "hi"\\\nsecond\n');
  const r = sluice(['dump', `text("${f}")`]);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split('\n');
  assert.equal(out.length, 2);
  assert.match(out[0]!, /\[INFO .*\] say \\"hi\\"\\\\$/);
  assert.match(out[1]!, /\] second$/);
  const raw = sluice(['dump', `text("${f}")`, '--format', 'raw']);
  assert.equal(raw.stdout, 'say "hi"\\\nsecond\n');
});

test('bad input gives one-line errors naming the place', () => {
  assertOneLineError(
    sluice(['node', '-1', '-c', 'n : text("/nonexistent/x.log") | null ;']),
    /text: filename: cannot open "\/nonexistent\/x\.log": no such file or directory/,
  );
  assertOneLineError(
    sluice(['validate', '-e', 'n : null | { regex("(", 1, "a") => null } ;']),
    /<spec>:1:14: regex.*\(/,
  );
  assertOneLineError(
    sluice(['validate', '-e', 'n : null |\n  consle ;']),
    /<spec>:2:3: .*unknown sink "consle"; did you mean "console"\?/,
  );
  const wrong = sluice(['validate', '-e', 'n : asciisynth("ten", 5) | null ;']);
  assertOneLineError(
    wrong,
    /<spec>:1:16: asciisynth: argument 1 \(msgCount\) must be an int, got string "ten"/,
  );
  assert.match(wrong.stderr, /asciisynth\(msgCount: int, msgSize: int\)/);
  const syntax = sluice(['validate', '-e', 'n : null | { batch(10) -> null } ;']);
  assertOneLineError(syntax, /<spec>:1:24: .*'=>'/);
  assert.match(syntax.stderr, /\n {23}\^/, 'caret under the column');
  assertOneLineError(sluice(['node', '-1', '-c', 'n : exec("echo hi") | null ;']), /--allow-exec/);
  assertOneLineError(sluice(['validate', '/nonexistent.spec']), /cannot read spec file \/nonexistent\.spec/);
});

test('validate accepts the seed examples and --print shows the canonical form', () => {
  const r = sluice([
    'validate',
    '-p',
    '-e',
    'agent1 : tail("foo") | [ console, < text("a") ? text("b") > ] ; c : null | roll(1000) { text("f-%{rolltag}") } ;',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /agent1 : tail\("foo"\) \| \[ console, < text\("a"\) \? text\("b"\) > \];/);
});

test('node -1 with an endless source closes cleanly on SIGTERM and flushes its sink', async () => {
  const out = join(dir, 'endless.txt');
  const feed = join(dir, 'feed.log');
  writeFileSync(feed, 'one\ntwo\n');
  // The console branch shows when both lines went past the fanout (and the signal handlers are in
  // place, since they are installed before the node starts); the batch branch holds them until close.
  const child = spawn(
    process.execPath,
    [
      BIN,
      'node',
      '-1',
      '-c',
      `t : tail("${feed}") | [ { batch(1000, 60000) => { unbatch => text("${out}") } }, console("raw") ] ;`,
    ],
    { cwd: dir },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.on('exit', r));
  await waitForOutput(child.stdout, /one\ntwo\n/, 'both lines on the console branch', 60_000);
  child.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 0, stderr);
  assert.equal(
    readFileSync(out, 'utf8'),
    'one\ntwo\n',
    'the batch held by the decorator was not flushed on close',
  );
});

test('the demo runs every step on embedded defaults and checks each', () => {
  const r = sluice(['demo', '--lines', '2000']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /ok {3}local flow: 2000 lines .* byte-identical/);
  assert.match(r.stdout, /ok {3}agent -> collector over Avro: 2000 of 2000 events/);
  assert.match(r.stdout, /ok {3}agent file: 2000 of 2000 spooled lines/);
});
