import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PEER_PACKAGES } from './peers.js';
import { tempDir } from './tmp.js';

const repo = join(import.meta.dirname, '..', '..');

/** Runs a one-test file needing java (hidden, as if not installed) with the given CI value. */
function runNeedingJava(t: { after(fn: () => void): void }, ci: string | undefined) {
  const dir = tempDir('peers', t);
  const file = join(dir, 'needs-java.test.ts');
  const peers = join(repo, 'test', 'support', 'peers.ts');
  writeFileSync(
    file,
    `import { test } from 'node:test';\nimport { peerSkip } from ${JSON.stringify(peers)};\n` +
      `test('uses java', { skip: peerSkip('java') }, () => {});\n`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_TEST_HIDE_PEERS: 'java' };
  delete env.CI;
  delete env.NODE_TEST_CONTEXT; // a nested runner would otherwise report to this one and run nothing
  if (ci !== undefined) env.CI = ci;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
    cwd: repo,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('a missing peer fails the run under CI=true, naming the Debian package', (t) => {
  const r = runNeedingJava(t, 'true');
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /not ok \d+ - peer java is installed \(required under CI\)/);
  assert.match(r.out, /apt-get install -y default-jre-headless/);
  assert.match(r.out, /# fail 1/);
});

test('a missing peer only skips without CI, with the same message', (t) => {
  const r = runNeedingJava(t, undefined);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /# SKIP java is missing: install it with apt-get install -y default-jre-headless/);
  assert.match(r.out, /# skipped 1/);
  assert.match(r.out, /# fail 0/);
});

test('.ci/run installs the package of every peer', () => {
  const run = readFileSync(join(repo, '.ci', 'run'), 'utf8');
  const listed = /^packages=\(([^)]*)\)/m.exec(run)?.[1]?.split(/\s+/) ?? [];
  for (const pkg of PEER_PACKAGES) assert.ok(listed.includes(pkg), `.ci/run does not install ${pkg}`);
});

function testFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) testFiles(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

test('tests skip only through peerSkip (no unconditional skips, no todo)', () => {
  const bad: string[] = [];
  for (const f of [...testFiles(join(repo, 'src')), ...testFiles(join(repo, 'test'))]) {
    const text = readFileSync(f, 'utf8');
    const name = relative(repo, f);
    if (name === 'test/support/peers.test.ts') continue;
    text.split('\n').forEach((line, i) => {
      if (/\bt\.skip\(|\b(it|test|describe)\.(skip|todo)\b|\bskip:\s*(true|['"`])|\btodo:/.test(line))
        bad.push(`${name}:${i + 1}: ${line.trim()}`);
    });
    if (/\bskip[:,} ]/.test(text) && /\{[^}]*\bskip\b/.test(text) && !text.includes('peerSkip('))
      bad.push(`${name}: uses the skip option without peerSkip`);
  }
  assert.deepEqual(bad, []);
});
