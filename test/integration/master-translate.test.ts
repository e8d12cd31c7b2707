// Translations with real processes: `sluice master` and two `sluice node` processes (hostA, hostB) on
// loopback. An agent `tail | autoDFOChain` and a collector `collectorSource | text(...)` are entered
// with no host or port; the master assigns the collector's port, builds the agent's chain (agent on
// hostB, collector on hostA), and every line reaches the collector. hostA's process stops: the
// collector is LOST and the agent waits on a fail sink. The collector is moved to hostB (unmap, spawn)
// where its port is taken (by a node the master placed, and the next by a process it does not know):
// it gets another, the agent is pointed there, and new lines reach it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { exited, output, shell, sluice } from '../support/processes.js';
import { writeMasterSite } from '../support/site-conf.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';

const linesOf = (file: string) =>
  new Set(existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

function feed(file: string, tag: string, n: number): string[] {
  const lines = Array.from({ length: n }, (_, i) => `${tag} ${i}`);
  appendFileSync(file, `${lines.join('\n')}\n`);
  return lines;
}

test('auto chains over a collector the master placed; the collector moves and traffic follows it', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir('master-translate', t);
  const collectorPort = await freePort();
  const { conf, adminPort } = await writeMasterSite(dir, {
    'flume.collector.port': String(collectorPort),
    'flume.agent.logdir': join(dir, 'agent'),
  });
  const at = ['-c', `localhost:${adminPort}`];
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  const start = (args: string[]) => {
    const c = sluice([...args, '--conf', conf], dir);
    children.push(c);
    return { c, log: output(c) };
  };
  const master = start(['master']);
  await waitForPort(adminPort, "the master's admin port", 60_000);
  const hostA = start(['node', '-n', 'hostA']);
  const hostB = start(['node', '-n', 'hostB']);
  const logs = () => `master: ${master.log.text()}\nhostA: ${hostA.log.text()}\nhostB: ${hostB.log.text()}`;

  const input = join(dir, 'in.log');
  const out = join(dir, 'collected.txt');
  writeFileSync(input, '');
  const setUp = await shell(
    ['-q', ...at],
    dir,
    [
      `multiconfig 'agent : tail("${input}") | autoDFOChain ; collector : collectorSource | text("${out}") ;'`,
      'spawn hostB agent',
      'spawn hostA collector',
      'waitForNodesActive 30000 agent collector',
      'getconfigs',
      '',
    ].join('\n'),
  );
  assert.equal(setUp.code, 0, setUp.err + logs());
  // The translation beside the entered configuration: the port assigned, the chain built.
  assert.match(
    setUp.out,
    new RegExp(
      `^collector +default +\\d+ +[0-9a-f]{16} +collectorSource +text\\(.*\\) +v\\d+: collectorSource\\(${collectorPort}\\) \\|`,
      'm',
    ),
  );
  assert.match(
    setUp.out,
    new RegExp(
      `^agent .* autoDFOChain +v\\d+: tail\\(.*\\) \\| agentDFOChain\\("127\\.0\\.0\\.1:${collectorPort}"\\)$`,
      'm',
    ),
  );

  const before = feed(input, 'before', 200);
  await waitFor(
    () => before.every((l) => linesOf(out).has(l)),
    () => `200 lines at the collector on hostA (${linesOf(out).size}); ${logs()}`,
    60_000,
  );

  // hostA's process dies: after three missed heartbeats its collector leaves the chains and the agent
  // waits on a fail sink (reading nothing).
  hostA.c.kill('SIGTERM');
  assert.equal(await exited(hostA.c), 0, hostA.log.text());
  await waitFor(
    async () =>
      /^agent .*fail\("autoDFOChain: no collectors in flow \(default\)"\)/m.test(
        (await shell(['-q', ...at, '-e', 'getconfigs'], dir)).out,
      ),
    () => `the agent on a fail sink; ${logs()}`,
    30_000,
    200,
  );
  // The collector moves to hostB, where its port is taken by a node the master placed there (the
  // blocker) and the next one by a process the master does not know: the master skips the first, hears
  // of the second from the collector's failure, and gives it the port after. The agent's chain is
  // pointed there through its heartbeats.
  // (It hangs up at once: an agent pointed at it before the master moves the collector fails over at
  // once instead of waiting out its request timeout.)
  const foreign = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => foreign.listen(collectorPort + 1, '127.0.0.1', resolve));
  t.after(() => foreign.close());
  const moved = await shell(
    ['-q', ...at],
    dir,
    [
      `config blocker 'rpcSource(${collectorPort})' null`,
      'spawn hostB blocker',
      'unmap hostA collector',
      'spawn hostB collector',
      'waitForNodesActive 30000 collector blocker',
      'getconfigs',
      '',
    ].join('\n'),
  );
  assert.equal(moved.code, 0, moved.err + logs());
  const next = collectorPort + 2;
  assert.match(moved.out, new RegExp(`^collector .* v\\d+: collectorSource\\(${next}\\) \\|`, 'm'));
  assert.match(moved.out, new RegExp(`^agent .* agentDFOChain\\("127\\.0\\.0\\.1:${next}"\\)$`, 'm'));
  const after = feed(input, 'after', 200);
  await waitFor(
    () => after.every((l) => linesOf(out).has(l)),
    () =>
      `200 new lines at the collector on hostB (${[...linesOf(out)].filter((l) => l.startsWith('after')).length}); ${logs()}`,
    60_000,
  );
  await waitFor(
    () => /configuration applied: .*collector v\d+/.test(hostB.log.text()),
    () => `hostB to log its configuration: ${hostB.log.text()}`,
    30_000,
  );

  hostB.c.kill('SIGTERM');
  assert.equal(await exited(hostB.c), 0, hostB.log.text());
  master.c.kill('SIGTERM');
  assert.equal(await exited(master.c), 0, master.log.text());
});
