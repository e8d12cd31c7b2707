// `sluice node` and `sluice dump` run their nodes through the node host from the first start: the site's
// limits apply per node (no process-wide value is set), and the exit status follows the one rule of
// docs/cli.md (1 when anything read did not make it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { tempDir } from '../support/tmp.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

function sluice(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A conf dir whose flume-site.xml cuts bodies at `max` bytes. */
function confWithMaxBody(dir: string, max: number): string {
  const conf = join(dir, 'conf');
  mkdirSync(conf);
  writeFileSync(
    join(conf, 'flume-site.xml'),
    `<?xml version="1.0"?>\n<configuration>\n  <property>\n    <name>flume.event.max.size.bytes</name>\n    <value>${max}</value>\n  </property>\n</configuration>\n`,
  );
  return conf;
}

test("node -1 and dump cut bodies at the site's flume.event.max.size.bytes from their first start", (t) => {
  const dir = tempDir('node-host-cli', t);
  const input = join(dir, 'in.txt');
  const output = join(dir, 'out.txt');
  writeFileSync(input, `${'x'.repeat(100)}\nshort\n`);
  const conf = confWithMaxBody(dir, 10);
  const r = sluice(['node', '-1', '--conf', conf, '-e', `n : text("${input}") | text("${output}") ;`], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readFileSync(output, 'utf8').split('\n'), ['x'.repeat(10), 'short', '']);
  const d = sluice(['dump', '--conf', conf, '--format', 'raw', `text("${input}")`], dir);
  assert.equal(d.status, 0, d.stderr);
  assert.deepEqual(d.stdout.split('\n'), ['x'.repeat(10), 'short', '']);
});

test('node -1 ends with status 1 when a sink dropped events, 0 when everything arrived', async (t) => {
  const dir = tempDir('node-host-exit', t);
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'a\nb\n');
  // Nothing listens on this port: the best-effort sink drops what it cannot send, and says so.
  const port = await freePort();
  const dropped = sluice(
    ['node', '-1', '-e', `n : text("${input}") | agentBESink("127.0.0.1", ${port}) ;`],
    dir,
  );
  assert.equal(dropped.status, 1, dropped.stderr);
  assert.match(dropped.stderr, /2 dropped/);
  const ok = sluice(['node', '-1', '-e', `n : text("${input}") | null ;`], dir);
  assert.equal(ok.status, 0, ok.stderr);
});
