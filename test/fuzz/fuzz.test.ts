import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReport, fuzzTarget } from './runner.js';
import { TARGETS } from './targets/index.js';

/**
 * Every fuzz target for a bounded time on a fixed seed (FUZZ_SEED overrides it), so a failure here is
 * the same failure on every machine: the report names the seed and the input to replay. Longer runs:
 * `npm run fuzz -- NAME --runs N` (docs/fuzzing.md).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.FUZZ_RUNS ?? 30_000);
/** Per target; nine targets stay under a minute even on a busy machine. */
const TIME_MS = Number(process.env.FUZZ_TIME_MS ?? 4000);

for (const target of TARGETS) {
  test(`fuzz ${target.name}: ${RUNS} inputs or ${TIME_MS / 1000} s, seed ${SEED}`, async () => {
    const report = await fuzzTarget(target.name, {
      seed: SEED,
      runs: RUNS,
      timeMs: TIME_MS,
      // One input takes well under a millisecond: 15 s only catches a real hang, never a worker that a
      // loaded machine left waiting for the CPU.
      inputTimeoutMs: 15_000,
      maxMemoryGrowthMb: 192,
    });
    const text = formatReport(report);
    assert.equal(report.findings.length, 0, `fuzz findings (seed ${SEED}):\n${text}`);
    // A target that stopped early or never produced a value is not testing anything. The slowest targets
    // run about 6,000 inputs in the 4 s on a machine at load 11: 200 is what a machine ten times slower
    // than that still runs, far above a target that stopped early.
    assert.ok(report.inputs >= Math.min(RUNS, 200), text);
    assert.ok(report.values > 0, `no input of ${target.name} gave a value: the generator is broken\n${text}`);
  });
}
