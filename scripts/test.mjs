// Runs every *.test.ts under src/ and test/ with Node's built-in runner (TypeScript through tsx).
// Arguments narrow the set: `npm test -- src/spec tail` runs files whose path contains any argument.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=120000', ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
