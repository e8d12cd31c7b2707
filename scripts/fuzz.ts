// Runs fuzz targets longer than CI does, or replays one input.
//   npm run fuzz -- NAME [--runs N] [--time SECONDS] [--seed S]   (NAME may be "all")
//   npm run fuzz -- NAME --seed S --index I                       replay input I of seed S
// Exits 1 when a target has findings.
import { formatReport, fuzzTarget } from '../test/fuzz/runner.js';
import { errorKind, isSluiceError, makeInput } from '../test/fuzz/target.js';
import { TARGETS, targetNamed } from '../test/fuzz/targets/index.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function usage(): never {
  console.error(`usage: npm run fuzz -- NAME|all [--runs N] [--time SECONDS] [--seed S] [--index I]
targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

const name = process.argv[2];
if (name === undefined || (name !== 'all' && !TARGETS.some((t) => t.name === name))) usage();
const seed = flag('seed') !== undefined ? Number(flag('seed')) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const index = flag('index');

if (index !== undefined) {
  // In this process, with the stack trace, so a debugger can be attached.
  const target = targetNamed(name);
  const { input, rng } = makeInput(target, seed, Number(index));
  console.log(`${target.name} seed ${seed} input ${index}: ${input.length} bytes`);
  console.log(input.toString('hex'));
  if (input.length < 4096) console.log(JSON.stringify(input.toString('latin1')));
  try {
    target.run(input, rng);
    console.log('result: a value');
  } catch (e) {
    const ok = (target.expected ?? isSluiceError)(e);
    console.log(`result: ${ok ? 'expected error' : 'FINDING'} ${errorKind(e)}`);
    console.log(e instanceof Error ? e.stack : String(e));
    process.exitCode = ok ? 0 : 1;
  }
} else {
  const runs = Number(flag('runs') ?? 1_000_000);
  const timeMs = Number(flag('time') ?? 3600) * 1000;
  const names = name === 'all' ? TARGETS.map((t) => t.name) : [targetNamed(name).name];
  let found = 0;
  for (const n of names) {
    console.log(`fuzzing ${n}: up to ${runs} inputs or ${timeMs / 1000} s, seed ${seed}`);
    const report = await fuzzTarget(n, {
      seed,
      runs,
      timeMs,
      inputTimeoutMs: Number(flag('timeout') ?? 10_000),
      maxMemoryGrowthMb: Number(flag('memory') ?? 256),
      onProgress: (inputs, ms) => {
        if (process.stderr.isTTY) process.stderr.write(`\r  ${inputs} inputs, ${Math.round(ms / 1000)} s `);
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(formatReport(report));
    found += report.findings.length;
  }
  process.exitCode = found > 0 ? 1 : 0;
}
