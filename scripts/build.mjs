// `npm run build`, which `npm ci` runs as the prepare step: bundles the CLI into dist/cli with esbuild
// (one entry and a chunk per lazily imported command; npm packages stay external). dist/cli/build.json
// records which sources went in and when, so bin/sluice.js can tell a stale build from a fresh one.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without devDependencies: the CLI still runs, through tsx (a dependency).
  console.error('build: esbuild is not installed; bin/sluice.js will run the TypeScript sources through tsx');
  process.exit(0);
}
rmSync(`${root}/dist/cli`, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // Maps for `node --enable-source-maps bin/sluice.js`; not loaded otherwise, so start-up does not pay.
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('src/'));
writeFileSync(`${root}/dist/cli/build.json`, `${JSON.stringify({ builtAt: started, inputs })}\n`);
