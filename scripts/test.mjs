// Runs every *.test.ts under src/ and test/ with Node's built-in runner (TypeScript through tsx).
// Arguments narrow the set: `npm test -- src/spec tail` runs files whose path contains any argument;
// other flags go to the runner (`npm test -- --test-reporter=dot`).
// Reporter: spec (readable) for a person at a terminal; TAP under CI or when the output is not a
// terminal, which ends with the counts CI reads (`# tests N`, `# pass N`, `# fail N`).
// A full run also checks that the tests left no `sluice-*` entry in the temporary directory: under CI
// a leftover fails the run, locally it is reported (other processes may have made it).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = ['src', 'test']
  .flatMap((d) => walk(d, []))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// The whole suite also type-checks and lints: CI calls only `npm test`.
if (filters.length === 0) {
  for (const [cmd, args] of [
    ['tsc', ['-p', 'tsconfig.json']],
    ['biome', ['ci', ...(process.stdout.isTTY ? [] : ['--colors=off']), 'src', 'test', 'bench', 'scripts']],
  ]) {
    const r = spawnSync(join('node_modules', '.bin', cmd), args, { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`${cmd} failed`);
      process.exit(r.status ?? 1);
    }
  }
}
const ci = !['', 'false', '0'].includes((process.env.CI ?? '').toLowerCase());
const reporter = flags.some((f) => f.startsWith('--test-reporter'))
  ? []
  : [`--test-reporter=${process.stdout.isTTY && !ci ? 'spec' : 'tap'}`];
const leftovers = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('sluice-')));
const before = leftovers();
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    ...reporter,
    ...flags,
    ...files,
  ],
  { stdio: 'inherit' },
);
let status = result.status ?? 1;
const left = [...leftovers()].filter((n) => !before.has(n));
if (left.length > 0) {
  console.error(`# tmp: ${left.length} sluice-* entries left in ${tmpdir()}: ${left.sort().join(' ')}`);
  if (ci && filters.length === 0) {
    console.error('# tests must remove what they create (test/support/tmp.ts): failing under CI');
    if (status === 0) status = 1;
  }
}
process.exit(status);
