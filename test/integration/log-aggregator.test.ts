// The tutorial's log aggregator (examples/log-aggregator.ts) run as a user runs it, fed by the tutorial's
// agent file (push) and by a SparkSink agent (poll), with realistic access log lines: the counts it
// writes with --json must be exactly the URLs generated.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AccessLogGenerator } from '../../examples/access-log-generator.js';
import { freePort } from '../../src/core/ports.js';
import { Agent } from '../../src/flow/agent/agent.js';
import { builtinAgentCatalog } from '../../src/flow/agent/catalog.js';
import { testContext } from '../mocks/sinks.js';
import { exited, output } from '../support/processes.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';

const ROOT = join(import.meta.dirname, '..', '..');
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

function aggregator(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/log-aggregator.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** The tutorial's agent file with this test's spool directory, port and a short poll delay. */
function tutorialAgent(spool: string, port: number): Agent {
  const text = readFileSync(join(ROOT, 'examples', 'sparkstreamingflume.conf'), 'utf8')
    .replace('/tmp/sluice-spool', spool)
    .replace('a1.sinks.k1.port = 9092', `a1.sinks.k1.port = ${port}`)
    .replace('a1.sinks.k1.hostname = localhost', 'a1.sinks.k1.hostname = 127.0.0.1')
    .replace('a1.sources.r1.spoolDir', 'a1.sources.r1.pollDelay = 50\na1.sources.r1.spoolDir');
  const agent = Agent.fromText(
    text,
    'sparkstreamingflume.conf',
    'a1',
    builtinAgentCatalog(),
    testContext({ nodeName: 'a1' }),
  );
  cleanup.push(() => agent.stop());
  return agent;
}

function lastCounts(file: string): [string, number][] | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const last = lines[lines.length - 1];
  return last ? (JSON.parse(last) as { counts: [string, number][] }).counts : undefined;
}

async function feedAndCheck(
  spool: string,
  json: string,
  child: ChildProcess,
  text: () => string,
): Promise<void> {
  const gen = new AccessLogGenerator(7);
  for (let f = 0; f < 4; f++) gen.writeSpoolFile(spool, 500, `access-${f}.log`);
  const want = gen.sortedCounts();
  await waitFor(
    () => JSON.stringify(lastCounts(json)) === JSON.stringify(want),
    () =>
      `the window's counts to equal the ${gen.lines} generated lines; last JSON: ${JSON.stringify(lastCounts(json))?.slice(0, 300)}\n${text().slice(-2000)}`,
    30_000,
    50,
  );
  // Every JSON line is one slide: times rise by the slide (500 ms).
  const times = readFileSync(json, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { time: number }).time);
  for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 500);
  assert.match(text(), /top URLs of the last 60 s/);
  assert.match(text(), new RegExp(`${want[0]![1]}  ${want[0]![0].replace(/[?]/g, '\\?')}`));
  child.kill('SIGTERM');
  assert.equal(await exited(child), 0, text());
}

test('push: the tutorial agent file feeds the aggregator; its JSON counts are the generated URLs', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir('aggregator-push', t);
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const json = join(dir, 'counts.jsonl');
  const port = await freePort();
  const child = aggregator([
    '--push',
    `127.0.0.1:${port}`,
    '--window',
    '60',
    '--slide',
    '0.5',
    '--json',
    json,
  ]);
  const out = output(child);
  await waitForPort(port, 'the aggregator to listen', 30_000);
  await tutorialAgent(spool, port).start();
  await feedAndCheck(spool, json, child, out.text);
});

test('poll: the aggregator drains a SparkSink; its JSON counts are the generated URLs', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir('aggregator-poll', t);
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const json = join(dir, 'counts.jsonl');
  const port = await freePort();
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = spooldir',
    `a1.sources.r1.spoolDir = ${spool}`,
    'a1.sources.r1.pollDelay = 50',
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.channels.c1.capacity = 10000',
    'a1.channels.c1.transactionCapacity = 1000',
    'a1.sinks.k1.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'a1.sinks.k1.hostname = 127.0.0.1',
    `a1.sinks.k1.port = ${port}`,
    'a1.sinks.k1.channel = c1',
  ].join('\n');
  const agent = Agent.fromText(
    text,
    'poll.conf',
    'a1',
    builtinAgentCatalog(),
    testContext({ nodeName: 'a1' }),
  );
  cleanup.push(() => agent.stop());
  await agent.start();
  const child = aggregator([
    '--poll',
    `127.0.0.1:${port}`,
    '--window',
    '60',
    '--slide',
    '0.5',
    '--json',
    json,
  ]);
  const out = output(child);
  await feedAndCheck(spool, json, child, out.text);
});

test('the streaming demo runs agent, generator and aggregator, stops by itself and checks the counts', {
  timeout: 60_000,
}, async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'examples/streaming-demo.ts', '--seconds', '2', '--rate', '400'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanup.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const out = output(child);
  assert.equal(await exited(child), 0, out.text());
  assert.match(out.text(), /top URLs of the last 300 s/);
  const m = /ok {3}(\d+) lines generated in \d+ files; the aggregator's window counted (\d+) requests/.exec(
    out.text(),
  );
  assert.ok(m, out.text());
  assert.equal(m[1], m[2]);
  assert.ok(Number(m[1]) >= 400, `only ${m?.[1]} lines in 2 s at 400 lines/s`);
});
