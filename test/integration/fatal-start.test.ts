// Fatal means exit: a component that cannot start as configured (a missing spooling directory, a port
// in use) ends `sluice agent` and `sluice node` with a non-zero status and one line naming it, instead
// of leaving a process that runs without it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');
const dir = mkdtempSync(join(tmpdir(), 'sluice-fatal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Generous for a loaded machine: the point is that the process ends at all, not how fast. */
const DEADLINE_MS = 60_000;

/** Runs sluice and resolves when it exits, or kills it at the deadline (a hang). */
function run(args: string[]): Promise<{ status: number | null; stderr: string; hung: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, DEADLINE_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, hung });
    });
  });
}

function assertOneLine(r: { status: number | null; stderr: string; hung: boolean }, re: RegExp): void {
  assert.equal(r.hung, false, `still running after ${DEADLINE_MS} ms; stderr:\n${r.stderr}`);
  assert.notEqual(r.status, 0);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
}

function agentFile(name: string, source: string[]): string {
  const f = join(dir, name);
  writeFileSync(
    f,
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1',
      ...source.map((l) => `a1.sources.r1.${l}`),
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = file_roll',
      `a1.sinks.k1.sink.directory = ${join(dir, 'roll')}`,
      'a1.sinks.k1.channel = c1',
      '',
    ].join('\n'),
  );
  return f;
}

async function busyPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  return { port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

test('agent: a missing spooling directory exits non-zero with one line naming the source', async () => {
  const spool = join(dir, 'no-such-spool');
  const conf = agentFile('spool.conf', ['type = spooldir', `spoolDir = ${spool}`]);
  const r = await run(['agent', '--conf-file', conf, '--name', 'a1']);
  assertOneLine(
    r,
    new RegExp(`source r1 \\(spooldir\\): cannot open spooling directory "${spool}": no such directory$`),
  );
});

test('agent: a port in use exits non-zero with one line naming the source', async () => {
  const busy = await busyPort();
  try {
    const conf = agentFile('port.conf', ['type = avro', 'bind = 127.0.0.1', `port = ${busy.port}`]);
    const r = await run(['agent', '--conf-file', conf, '--name', 'a1']);
    assertOneLine(
      r,
      new RegExp(`source r1 \\(avro\\): .*127\\.0\\.0\\.1:${busy.port}: address already in use$`),
    );
  } finally {
    await busy.close();
  }
});

test('node: a port in use ends the node in ERROR: non-zero exit, one line naming the node and source', async () => {
  const busy = await busyPort();
  try {
    const spec = join(dir, 'port.spec');
    writeFileSync(spec, `n1 : rpcSource(${busy.port}, bind="127.0.0.1") | null ;\n`);
    const r = await run(['node', '-1', '--file', spec]);
    assertOneLine(
      r,
      new RegExp(`node n1 .*rpcSource.*127\\.0\\.0\\.1:${busy.port}: address already in use$`),
    );
  } finally {
    await busy.close();
  }
});
