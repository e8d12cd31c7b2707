import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzTarget } from './runner.js';
import { makeInput } from './target.js';
import { TARGETS } from './targets/index.js';

/** The harness itself: each kind of finding is caught and named with the input that replays it. */
const DOUBLES = new URL('./doubles.ts', import.meta.url).href;
const opts = { seed: 7, runs: 20_000, timeMs: 20_000, targets: DOUBLES };

test('a TypeError is a crash finding with its seed and first input', async () => {
  const r = await fuzzTarget('crashes-on-ff', opts);
  assert.equal(r.findings.length, 1);
  const f = r.findings[0]!;
  assert.equal(f.kind, 'crash');
  assert.match(f.message, /0xff/);
  assert.equal(r.seed, 7);
  // The index names an input that really has the byte.
  assert.ok(makeInput((await import('./doubles.js')).TARGETS[0]!, 7, f.index).input.includes(0xff));
  assert.ok(f.count > 1, 'the same crash is counted, not listed again');
});

test('a typed error is not a finding', async () => {
  const r = await fuzzTarget('typed-errors', { ...opts, runs: 2000 });
  assert.equal(r.findings.length, 0);
  assert.equal(r.errors, 2000);
});

test('an input that never returns is a hang, and the worker is stopped', async () => {
  const started = Date.now();
  const r = await fuzzTarget('hangs-on-input-3', { ...opts, inputTimeoutMs: 300 });
  assert.equal(r.findings[0]?.kind, 'hang');
  assert.equal(r.findings[0]?.index, 3);
  // Against a worker never stopped; starting workers on a loaded machine takes seconds.
  assert.ok(Date.now() - started < 60_000);
});

test('memory that keeps growing is a memory finding', async () => {
  const r = await fuzzTarget('leaks', { ...opts, runs: 40_000, maxMemoryGrowthMb: 16 });
  assert.equal(r.findings[0]?.kind, 'memory', JSON.stringify(r.findings));
});

test('the same seed and index give the same input; other seeds differ', () => {
  for (const t of TARGETS) {
    const a = makeInput(t, 99, 12345).input;
    assert.deepEqual(makeInput(t, 99, 12345).input, a, t.name);
    assert.notDeepEqual(makeInput(t, 100, 12345).input, a, t.name);
  }
});
