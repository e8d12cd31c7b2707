import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { specHostRunner } from '../cli/node-master.js';
import { SiteConfig } from '../core/config.js';
import { memoryLogger } from '../core/logger.js';
import { builtinCatalog } from '../flow/builtins.js';
import { SpecHost } from '../node/spec-host.js';
import { Master } from './master.js';
import { type LogicalNodeRunner, NodeAgent, nextBeatIn } from './node-agent.js';
import { MasterServer } from './server.js';
import { MemoryStore } from './store.js';
import { callMaster } from './wire.js';

const TOKEN = 'sesame-1234';

async function setUp(
  t: { after(fn: () => Promise<void> | void): void },
  wrap: (r: LogicalNodeRunner) => LogicalNodeRunner = (r) => r,
) {
  const logger = memoryLogger();
  // No checker: the master takes any spec that parses, so the node's own check is exercised.
  const master = new Master({ store: new MemoryStore(), logger });
  const server = await MasterServer.start(master, {
    bind: '127.0.0.1',
    heartbeatPort: 0,
    adminPort: 0,
    token: TOKEN,
    logger,
  });
  const host = new SpecHost({
    catalog: builtinCatalog(),
    context: { config: SiteConfig.defaults(), nodeName: 'host1', allowExec: false, logger },
    logger,
  });
  const agent = new NodeAgent({
    physical: 'host1',
    host: 'localhost',
    masters: [{ host: '127.0.0.1', port: server.heartbeat.port, token: TOKEN }],
    periodMs: 50,
    logger,
    runner: wrap(specHostRunner(host, SiteConfig.defaults())),
  });
  agent.start();
  t.after(async () => {
    await agent.stop();
    await server.close();
  });
  const status = () => master.nodeStatus().find((s) => s.name === 'host1');
  return { master, server, logger, status };
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);

test('a node applies what the master configures, keeps its last good pipeline when a new one fails, and restarts on refresh', async (t) => {
  const dir = tempDir('node-agent', t);
  const { master, status, logger } = await setUp(t);
  await waitFor(() => status()?.state === 'HELLO', 'host1 to say HELLO');

  const out1 = join(dir, 'out1.txt');
  assert.equal(
    (await master.exec('config', ['host1', 'asciisynth(30, 10)', `text("${out1}")`])).state,
    'SUCCEEDED',
  );
  await waitFor(
    () => status()?.version === 1 && status()?.state === 'IDLE',
    () => JSON.stringify(status()),
  );
  assert.equal(lines(out1), 30);
  assert.equal(status()!.applied, 'APPLIED');
  assert.equal(status()!.report!.components.find((c) => c.kind === 'source')!.eventsOut, 30);

  // Parses, but names a sink the node's catalog lacks: the node refuses it and keeps version 1.
  assert.equal(
    await master.exec('config', ['host1', 'asciisynth(5, 10)', 'nosuchsink']).then((r) => r.state),
    'SUCCEEDED',
  );
  await waitFor(
    () => status()?.applied === 'FAILED',
    () => JSON.stringify(status()),
  );
  assert.equal(status()!.version, 1);
  assert.match(status()!.error!, /<master>:1:29: unknown sink "nosuchsink"/);

  const out2 = join(dir, 'out2.txt');
  await master.exec('config', ['host1', 'asciisynth(40, 10)', `text("${out2}")`]);
  await waitFor(
    () => status()?.version === 3 && status()?.state === 'IDLE',
    () => JSON.stringify(status()),
  );
  assert.equal(status()!.applied, 'APPLIED');
  assert.equal(lines(out2), 40);

  // A refresh runs the same text again: the drained source reads its 40 events once more.
  const runs = () => logger.lines.filter((l) => /host1 drained: 40 events read/.test(l)).length;
  assert.equal(runs(), 1);
  await master.exec('refresh', ['host1']);
  await waitFor(
    () => runs() === 2 && status()?.version === 4,
    () => `${runs()} ${JSON.stringify(status())}`,
  );
  // The restarted text sink continues the file its first run wrote: nothing delivered is undone.
  await waitFor(
    () => lines(out2) === 80,
    () => `80 lines, both runs (${lines(out2)})`,
  );
});

test('the control ports refuse a wrong or missing token and an oversized body', async (t) => {
  const { server } = await setUp(t);
  const admin = { host: '127.0.0.1', port: server.admin.port };
  await assert.rejects(callMaster(admin, 'GET', '/status'), /refused \/status: wrong or missing token/);
  await assert.rejects(
    callMaster({ ...admin, token: 'sesame-1235' }, 'GET', '/status'),
    /wrong or missing token/,
  );
  assert.ok(Array.isArray(await callMaster({ ...admin, token: TOKEN }, 'GET', '/status')));
  const huge = { cmd: 'multiconfig', args: ['x'.repeat(5 * 1024 * 1024)] };
  await assert.rejects(
    callMaster({ ...admin, token: TOKEN }, 'POST', '/commands', huge),
    /413|over 4194304 bytes|ECONNRESET|EPIPE/,
  );
  await assert.rejects(
    callMaster({ host: '127.0.0.1', port: server.heartbeat.port, token: TOKEN }, 'POST', '/heartbeat', {
      physical: 'x',
    }),
    /a heartbeat names its physical node and host/,
  );
});

test('a configuration that checks but cannot start is reported FAILED and the previous one runs again', async (t) => {
  const dir = tempDir('node-agent-start', t);
  const { master, status, logger } = await setUp(t);
  await waitFor(() => status()?.state === 'HELLO', 'host1 to say HELLO');
  const input = join(dir, 'in.log');
  const out = join(dir, 'out.txt');
  writeFileSync(input, 'one\n');
  await master.exec('config', ['host1', `tail("${input}")`, `text("${out}")`]);
  await waitFor(
    () => status()?.state === 'ACTIVE' && lines(out) === 1,
    () => JSON.stringify(status()),
  );

  await master.exec('config', ['host1', `text("${join(dir, 'missing', 'file')}")`, 'null']);
  await waitFor(
    () => status()?.applied === 'FAILED',
    () => JSON.stringify(status()),
  );
  assert.match(status()!.error!, /missing/);
  await waitFor(
    () => status()?.state === 'ACTIVE' && status()?.version === 1,
    () => JSON.stringify(status()),
  );
  assert.ok(
    logger.lines.some((l) => /failed to start \(host1 v2\); back to the previous one: host1 v1/.test(l)),
  );
  appendFileSync(input, 'two\n');
  await waitFor(
    () => lines(out) === 2,
    () => `2 lines in out (${lines(out)})`,
  );
});

test('heartbeats keep their period from start to start, however long the master takes to answer', () => {
  // Answered in 300 ms: the next starts a period after the last one started, not after its answer.
  assert.equal(nextBeatIn(10_000, 10_300, 1000), 700);
  assert.equal(nextBeatIn(10_000, 10_000, 1000), 1000);
  // Answered after more than a period: a quarter period's rest, not a heartbeat back to back.
  assert.equal(nextBeatIn(10_000, 11_500, 1000), 250);
  assert.equal(nextBeatIn(10_000, 10_800, 1000), 250);
});

test('heartbeats go on while a configuration takes long to apply; the newest answer is applied next', async (t) => {
  const dir = tempDir('node-agent-slow', t);
  let applies = 0;
  // The real runner, held 2.5 s per apply: a sink draining a batch its peer does not answer.
  const { master, status } = await setUp(t, (r) => ({
    reports: () => r.reports(),
    apply: async (spec) => {
      applies++;
      await new Promise((res) => setTimeout(res, 2500));
      return r.apply(spec);
    },
    stop: () => r.stop(),
  }));
  await waitFor(() => status()?.state === 'HELLO', 'host1 to say HELLO');
  const out = (n: number) => join(dir, `out${n}.txt`);
  await master.exec('config', ['host1', 'asciisynth(3, 10)', `text("${out(1)}")`]);
  await waitFor(() => applies === 1, 'the first apply to begin');
  // Two more versions while the first is applied: only the last one runs after it.
  await master.exec('config', ['host1', 'asciisynth(3, 10)', `text("${out(2)}")`]);
  await master.exec('config', ['host1', 'asciisynth(3, 10)', `text("${out(3)}")`]);
  const seen: number[] = [];
  const sampler = setInterval(() => {
    const s = status();
    if (s !== undefined) seen.push(Date.now() - s.lastSeen);
  }, 50);
  try {
    await waitFor(
      () => status()?.version === 3 && status()?.state === 'IDLE',
      () => JSON.stringify(status()),
      15_000,
    );
  } finally {
    clearInterval(sampler);
  }
  assert.equal(applies, 2, 'version 2 was passed over');
  assert.equal(lines(out(1)), 3);
  assert.equal(existsSync(out(2)), false);
  assert.equal(lines(out(3)), 3);
  // Heartbeats every 50 ms all along (waiting for the apply, the longest silence would be 2.5 s); a
  // second is room for a loaded machine.
  assert.ok(Math.max(...seen) < 1000, `longest silence ${Math.max(...seen)} ms`);
});
