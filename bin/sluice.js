#!/usr/bin/env node
// Runs the compiled CLI in dist/cli, built by `npm run build` (which `npm ci` runs as the prepare step):
// it starts several times faster than compiling the TypeScript through tsx at every start. When the
// build is missing or older than a source it was made from, or SLUICE_FROM_SOURCE=1 asks for it, the
// TypeScript sources run through tsx instead, so an edit is never hidden behind an old build.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** 'fresh', or why the compiled CLI cannot be used. */
function compiledState() {
  if (process.env.SLUICE_FROM_SOURCE === '1') return 'not wanted';
  let build;
  try {
    build = JSON.parse(readFileSync(new URL('dist/cli/build.json', root), 'utf8'));
  } catch {
    return 'missing';
  }
  for (const file of build.inputs) {
    let mtime;
    try {
      mtime = statSync(new URL(file, root)).mtimeMs;
    } catch {
      continue; // a removed source also changed the file that imported it
    }
    if (mtime > build.builtAt) return `older than ${file}`;
  }
  return 'fresh';
}

const state = compiledState();
let main;
if (state === 'fresh') {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  if (state !== 'not wanted' && process.stderr.isTTY)
    process.stderr.write(
      `sluice: the compiled CLI in dist/cli is ${state} (npm run build); running the TypeScript through tsx\n`,
    );
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
