// The tutorial's log aggregator (examples/log-aggregator.ts) run as a user runs it, fed by the tutorial's
// agent file (push) and by a SparkSink agent (poll), with realistic access log lines: the counts it
// writes with --json must be exactly the URLs generated. And the streaming demo, run as `npm run
// demo:streaming` runs it.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AccessLogGenerator } from '../../examples/access-log-generator.js';
import { freePort } from '../../src/core/ports.js';
import { exited, output } from '../support/processes.js';
import { agentText, exampleProcess, jsonLines, lastCounts, testAgent } from '../support/streaming.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';

const ROOT = join(import.meta.dirname, '..', '..');
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const aggregator = (how: string[], json: string) =>
  exampleProcess('log-aggregator.ts', [...how, '--window', '60', '--slide', '0.5', '--json', json], cleanup);

/** The tutorial's agent file with this test's spool directory, port and a short poll delay. */
function tutorialAgent(spool: string, port: number) {
  const text = readFileSync(join(ROOT, 'examples', 'sparkstreamingflume.conf'), 'utf8')
    .replace('/tmp/sluice-spool', spool)
    .replace('a1.sinks.k1.port = 9092', `a1.sinks.k1.port = ${port}`)
    .replace('a1.sinks.k1.hostname = localhost', 'a1.sinks.k1.hostname = 127.0.0.1')
    .replace('a1.sources.r1.spoolDir', 'a1.sources.r1.pollDelay = 50\na1.sources.r1.spoolDir');
  return testAgent(text, cleanup, 'sparkstreamingflume.conf');
}

async function feedAndCheck(
  spool: string,
  json: string,
  child: ChildProcess,
  text: () => string,
): Promise<void> {
  const gen = new AccessLogGenerator(7);
  for (let f = 0; f < 4; f++) gen.writeSpoolFile(spool, 500, `access-${f}.log`);
  const want = JSON.stringify(gen.sortedCounts());
  await waitFor(
    () => JSON.stringify([...lastCounts(json)]) === want,
    () =>
      `the window's counts to equal the ${gen.lines} generated lines; last JSON: ${JSON.stringify([...lastCounts(json)]).slice(0, 300)}\n${text().slice(-2000)}`,
    // In the poll test this includes tsx compiling the aggregator on a loaded machine.
    60_000,
    50,
  );
  // Every JSON line is one slide: times rise by the slide (500 ms).
  const times = jsonLines(json).map((l) => (JSON.parse(l) as { time: number }).time);
  for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 500);
  // The JSON file is written before the same slide's table reaches our end of the stdout pipe.
  const [topUrl, topCount] = gen.sortedCounts()[0]!;
  const topLine = new RegExp(`${topCount}  ${topUrl.replace(/[?]/g, '\\?')}`);
  await waitFor(
    () => topLine.test(text()),
    () => `the printed table to show ${topLine}\n${text().slice(-2000)}`,
    30_000,
    50,
  );
  assert.match(text(), /top URLs of the last 60 s/);
  child.kill('SIGTERM');
  assert.equal(await exited(child), 0, text());
}

test('push: the tutorial agent file feeds the aggregator; its JSON counts are the generated URLs', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir('aggregator-push', t);
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const json = join(dir, 'counts.jsonl');
  const port = await freePort();
  const child = aggregator(['--push', `127.0.0.1:${port}`], json);
  const out = output(child);
  await waitForPort(port, 'the aggregator to listen', 60_000);
  await tutorialAgent(spool, port).start();
  await feedAndCheck(spool, json, child, out.text);
});

test('poll: the aggregator drains a SparkSink; its JSON counts are the generated URLs', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir('aggregator-poll', t);
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const json = join(dir, 'counts.jsonl');
  const port = await freePort();
  const agent = testAgent(
    agentText({ source: { spool }, sink: { spark: port }, transactionCapacity: 1000 }),
    cleanup,
  );
  await agent.start();
  const child = aggregator(['--poll', `127.0.0.1:${port}`], json);
  const out = output(child);
  await feedAndCheck(spool, json, child, out.text);
});

test('the streaming demo runs agent, generator and aggregator, stops by itself and checks the counts', {
  timeout: 180_000,
}, async () => {
  const child = exampleProcess('streaming-demo.ts', ['--seconds', '2', '--rate', '400'], cleanup);
  const out = output(child);
  assert.equal(await exited(child), 0, out.text());
  assert.match(out.text(), /top URLs of the last 300 s/);
  const m = /ok {3}(\d+) lines generated in \d+ files; the aggregator's window counted (\d+) requests/.exec(
    out.text(),
  );
  assert.ok(m, out.text());
  assert.equal(m[1], m[2]);
  // 800 lines in 2 s at 400 lines/s (100 every 250 ms); a loaded machine fires the generator's timer
  // late, so only one file of 100 is required: the count equality above is what the demo proves.
  assert.ok(Number(m[1]) >= 100, `only ${m[1]} lines in 2 s at 400 lines/s`);
});
