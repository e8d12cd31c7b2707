import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Agent } from '../../src/flow/agent/agent.js';
import { builtinAgentCatalog } from '../../src/flow/agent/catalog.js';
import { testContext } from '../mocks/sinks.js';
import { waitFor } from '../support/wait.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = mkdtempSync(join(tmpdir(), 'sluice-spool-agent-'));
after(() => rmSync(root, { recursive: true, force: true }));

const ctx = () => testContext({ nodeName: 'a1' });

function outputLines(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== ''),
  );
}

test('examples/spooldir-agent.conf: 3 files of 1,000 lines arrive exactly once and are renamed .COMPLETED', async () => {
  const spool = join(root, 'spool');
  const out = join(root, 'out');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(spool);
  const text = readFileSync(join(repo, 'examples', 'spooldir-agent.conf'), 'utf8')
    .replace('/tmp/sluice-spool', spool)
    .replace('/tmp/sluice-roll', out)
    .replace('spoolDir = ', 'pollDelay = 50\na1.sources.r1.spoolDir = ');
  const agent = Agent.fromText(text, 'spooldir-agent.conf', 'a1', builtinAgentCatalog(), ctx());
  await agent.start();
  const expected: string[] = [];
  for (const f of ['one', 'two', 'three']) {
    let body = '';
    for (let i = 0; i < 1000; i++) {
      body += `${f} ${i}\n`;
      expected.push(`${f} ${i}`);
    }
    // Written aside and moved in, as a spooling directory requires (files must be complete when they appear).
    writeFileSync(join(root, f), body);
    const { renameSync } = await import('node:fs');
    renameSync(join(root, f), join(spool, `${f}.log`));
  }
  try {
    await waitFor(
      () => readdirSync(spool).filter((n) => n.endsWith('.COMPLETED')).length === 3,
      'three completed files',
    );
    await waitFor(() => agent.totals().sinks[0]!.delivered >= 3000, '3000 events delivered');
  } finally {
    // Stopped even when a wait fails: a running agent would keep the test file alive.
    await agent.stop();
  }
  assert.deepEqual(readdirSync(spool).sort(), [
    '.flumespool',
    'one.log.COMPLETED',
    'three.log.COMPLETED',
    'two.log.COMPLETED',
  ]);
  const got = outputLines(out);
  assert.equal(got.length, 3000);
  assert.deepEqual([...got].sort(), [...expected].sort());
  assert.equal(new Set(got).size, 3000, 'no duplicates');
  const report = agent.totals();
  assert.equal(report.sources[0]!.accepted, 3000);
  assert.notEqual(report.sources[0]!.state, 'ERROR');
});

test('a spooldir error (reused completed name) stops that source only; the rest of the agent keeps running', async () => {
  const spool = join(root, 'spool2');
  const out = join(root, 'out2');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(spool);
  writeFileSync(join(spool, 'd.log'), 'new\n');
  writeFileSync(join(spool, 'd.log.COMPLETED'), 'old\n');
  const text = [
    'a1.sources = r1 r2',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = spooldir',
    `a1.sources.r1.spoolDir = ${spool}`,
    'a1.sources.r1.pollDelay = 50',
    'a1.sources.r1.channels = c1',
    'a1.sources.r2.type = seq',
    'a1.sources.r2.totalEvents = 2000',
    'a1.sources.r2.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.channels.c1.capacity = 500',
    'a1.sinks.k1.type = file_roll',
    `a1.sinks.k1.sink.directory = ${out}`,
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(text, 'err.conf', 'a1', builtinAgentCatalog(), ctx());
  await agent.start();
  let r: ReturnType<Agent['totals']>;
  try {
    await waitFor(
      () => agent.totals().sources.find((s) => s.name === 'r1')!.state === 'ERROR',
      'r1 in ERROR',
    );
    await waitFor(() => agent.totals().sinks[0]!.delivered >= 2001, 'all seq events and the spooled line');
    r = agent.totals();
  } finally {
    await agent.stop();
  }
  const r1 = r.sources.find((s) => s.name === 'r1')!;
  assert.match(r1.error ?? '', /d\.log\.COMPLETED" already exists/);
  assert.equal(r.sources.find((s) => s.name === 'r2')!.state, 'IDLE');
  const got = outputLines(out);
  assert.equal(got.length, 2001);
  assert.equal(got.filter((l) => l === 'new').length, 1);
  assert.equal(
    readFileSync(join(spool, 'd.log.COMPLETED'), 'utf8'),
    'old\n',
    'the existing file is untouched',
  );
});
