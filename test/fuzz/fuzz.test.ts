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
      inputTimeoutMs: 5000,
      maxMemoryGrowthMb: 192,
    });
    const text = formatReport(report);
    assert.equal(report.findings.length, 0, `fuzz findings (seed ${SEED}):\n${text}`);
    // A target that stopped early or never produced a value is not testing anything.
    assert.ok(report.inputs >= Math.min(RUNS, 1000), text);
    assert.ok(report.values > 0, `no input of ${target.name} gave a value: the generator is broken\n${text}`);
  });
}
