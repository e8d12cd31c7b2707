// Two processes on loopback, as a user deploys them: an agent tails a growing log into agentBESink,
// a collector receives with collectorSource and buckets by time and host with collectorSink. Every
// line must arrive exactly once, in the directory of its own timestamp.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { exited, listeningPort } from '../support/processes.js';
import { tempDir } from '../support/tmp.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

function start(spec: string, log: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, 'node', '-1', '-e', spec], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  return child;
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  return exited(child);
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => {
    // A temporary file listed a moment ago may have been renamed since (its roll completed).
    try {
      return statSync(join(dir, f)).isFile();
    } catch {
      return false;
    }
  });
}

test('agent tail -> agentBESink -> collectorSource -> collectorSink: every line once, in its time bucket', async () => {
  const dir = tempDir('e2e');
  const log = join(dir, 'app.log');
  const out = join(dir, 'out');
  const logs: string[] = [];
  const collector = start(
    `collector : collectorSource(0, bind="127.0.0.1") | collectorSink("file://${out}/%Y-%m-%d/%H00", "%{host}-", 500) ;`,
    logs,
  );
  // Port 0: the kernel picks it, so no other test can take it between a probe and the bind.
  const port = await listeningPort(collector, () => logs.join(''), 'collector/collectorSource');
  const agent = start(`agent : tail("${log}") | agentBESink("127.0.0.1", ${port}) ;`, logs);
  try {
    const total = 10_000;
    // The log grows while the agent runs, in bursts, as a server's log does.
    for (let i = 0; i < total; i += 1000) {
      appendFileSync(
        log,
        Array.from({ length: 1000 }, (_, k) => `request ${i + k} path=/x/${(i + k) % 97}\n`).join(''),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    const seen = new Map<string, number>();
    // A deadline, not a count of attempts: each attempt reads every file, slower on a loaded machine.
    for (const end = Date.now() + 60_000; Date.now() < end; ) {
      seen.clear();
      for (const f of files(out).filter((f) => !f.split('/').pop()!.startsWith('.'))) {
        for (const line of readFileSync(join(out, f), 'utf8').split('\n')) {
          if (!line) continue;
          const e = JSON.parse(line) as { body: string; timestamp: number; host: string };
          const d = new Date(e.timestamp);
          const bucket = `${d.toISOString().slice(0, 10)}/${String(d.getUTCHours()).padStart(2, '0')}00`;
          assert.equal(
            relative(out, join(out, f)).split('/').slice(0, 2).join('/'),
            bucket,
            `event in the wrong bucket: ${f}`,
          );
          assert.ok(
            f.split('/').pop()!.startsWith(`${e.host}-`),
            `file name ${f} does not start with the host`,
          );
          seen.set(e.body, (seen.get(e.body) ?? 0) + 1);
        }
      }
      if (seen.size >= total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    assert.equal(duplicated, 0, 'duplicated events');
    assert.equal(seen.size, total, `lost ${total - seen.size} events; logs:\n${logs.join('')}`);
    assert.ok(
      seen.has('request 0 path=/x/0') && seen.has(`request ${total - 1} path=/x/${(total - 1) % 97}`),
    );
    assert.ok(hostname().length > 0);
  } finally {
    const codes = [await stop(agent), await stop(collector)];
    assert.deepEqual(codes, [0, 0], logs.join(''));
  }
  assert.deepEqual(
    files(out).filter((f) => f.split('/').pop()!.startsWith('.')),
    [],
    'temporary files left after close',
  );
});
