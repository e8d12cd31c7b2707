// End-to-end mode proven with real processes on loopback: an agent (`sluice node -1`, agentE2ESink) and
// a collector (collectorSource -> collectorSink), each killed with SIGKILL mid-stream and restarted.
// Nothing the agent accepted may be lost; duplicates are counted and must stay within what was
// unacknowledged when the agent died (plus the one batch its source had in flight).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { exited, listeningPort, output, sluice } from '../support/processes.js';
import { writeSiteConf } from '../support/site-conf.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const TOTAL = 200_000;

function siteConf(dir: string, logdir: string, extra: Record<string, string> = {}): string {
  return writeSiteConf(dir, {
    'flume.agent.logdir': logdir,
    'flume.agent.logdir.maxage': '300',
    'flume.agent.logdir.retransmit': '4000',
    'flume.agent.ack.poll': '100',
    'flume.collector.output.format': 'raw',
    ...extra,
  });
}

/** How often each event number appears in the collector's completed files (hidden .tmp files are not output). */
function received(out: string): Map<number, number> {
  const seen = new Map<number, number>();
  let names: string[] = [];
  try {
    names = readdirSync(out);
  } catch {
    return seen;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(out, name);
    if (!statSync(p).isFile()) continue;
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      if (line === '') continue;
      const n = Number(line.startsWith('e') ? line.slice(1) : line);
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }
  }
  return seen;
}

function tally(
  seen: Map<number, number>,
  total: number,
): { received: number; lost: number; duplicated: number } {
  let lost = 0;
  let duplicated = 0;
  let all = 0;
  for (let i = 0; i < total; i++) {
    const c = seen.get(i) ?? 0;
    all += c;
    if (c === 0) lost++;
    else duplicated += c - 1;
  }
  return { received: all, lost, duplicated };
}

interface Proc {
  child: ChildProcess;
  text: () => string;
}

function run(args: string[], cwd: string, conf: string): Proc {
  const child = sluice(['node', '-1', '--conf', conf, ...args], cwd);
  return { child, text: output(child).text };
}

async function kill9(p: Proc): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) {
    p.child.kill('SIGKILL');
    await exited(p.child);
  }
}

/** Events the agent said it would send again at start: groups unacknowledged when it died. */
function resent(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/\((\d+) events\) not acknowledged before the last stop/g)) n += Number(m[1]);
  for (const m of text.matchAll(/\((\d+) events\) not acknowledged within \d+ ms: sending it again/g))
    n += Number(m[1]);
  return n;
}

test('an E2E agent SIGKILLed three times mid-stream loses nothing; duplicates stay within its unacknowledged groups', async (t) => {
  const dir = tempDir('e2e-agent-kill', t);
  const spool = join(dir, 'spool');
  const out = join(dir, 'out');
  mkdirSync(spool);
  const conf = siteConf(dir, join(dir, 'logdir'));
  // The agent reads numbered lines from complete files; its spool position survives a kill.
  const perFile = 10_000;
  for (let f = 0; f < TOTAL / perFile; f++) {
    const lines: string[] = [];
    for (let i = f * perFile; i < (f + 1) * perFile; i++) lines.push(`e${i}`);
    const tmp = join(dir, `f${f}.tmp`);
    writeFileSync(tmp, `${lines.join('\n')}\n`);
    renameSync(tmp, join(spool, `f${String(f).padStart(3, '0')}.log`));
  }
  const collector = run(
    ['-e', `collector : collectorSource(0) | collectorSink("file://${out}", "data-", 300) ;`],
    dir,
    conf,
  );
  t.after(() => kill9(collector));
  // Port 0: the kernel picks it, so no other test can take it between a probe and the bind.
  const port = await listeningPort(collector.child, collector.text, 'collector/collectorSource');
  const agentSpec = `agent : spooldir("${spool}", batchSize=1000) | agentE2ESink("127.0.0.1", ${port}) ;`;
  let agent = run(['-e', agentSpec], dir, conf);
  const agentText: string[] = [];
  t.after(() => kill9(agent));
  let batchesInFlightAtKill = 0;
  for (const fraction of [0.15, 0.4, 0.65]) {
    const target = TOTAL * fraction;
    await waitFor(
      () => received(out).size >= target,
      () => `${target} events at the collector (agent said: ${agent.text().slice(-2000)})`,
      60_000,
      100,
    );
    // A random moment after the threshold: between group commits, sends and acks.
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
    await kill9(agent);
    batchesInFlightAtKill++;
    agentText.push(agent.text());
    agent = run(['-e', agentSpec], dir, conf);
  }
  await waitFor(
    () => received(out).size >= TOTAL,
    () =>
      `all ${TOTAL} events at the collector (got ${received(out).size}; agent said: ${agent.text().slice(-2000)})`,
    // 200,000 events through spooldir, E2E acks and file rolls on a loaded machine: only a hang times out.
    120_000,
    200,
  );
  // Whatever is still unacknowledged now would only add duplicates: stop cleanly and count.
  agent.child.kill('SIGTERM');
  await exited(agent.child);
  agentText.push(agent.text());
  const counts = tally(received(out), TOTAL);
  const bound = agentText.reduce((n, s) => n + resent(s), 0) + batchesInFlightAtKill * 1000;
  console.log(
    `agent SIGKILL x3: sent ${TOTAL}, received ${counts.received}, lost ${counts.lost}, duplicated ${counts.duplicated} (bound ${bound})`,
  );
  assert.equal(counts.lost, 0, 'no event lost');
  assert.ok(
    counts.duplicated <= bound,
    `duplicates ${counts.duplicated} within the unacknowledged groups resent plus one source batch per kill (${bound})`,
  );
});

test('the collector SIGKILLed mid-stream and restarted: nothing lost, and the finite agent exits 0 once all is acknowledged', async (t) => {
  const dir = tempDir('e2e-collector-kill', t);
  const out = join(dir, 'out');
  const conf = siteConf(dir, join(dir, 'logdir'), { 'flume.agent.logdir.retransmit': '3000' });
  const collectorArgs = (port: number) => [
    '-e',
    `collector : collectorSource(${port}) | collectorSink("file://${out}", "data-", 300) ;`,
  ];
  let collector = run(collectorArgs(0), dir, conf);
  t.after(() => kill9(collector));
  // Port 0 at the first start (the kernel picks it, no race for a port found free); the restart
  // below reuses it.
  const port = await listeningPort(collector.child, collector.text, 'collector/collectorSource');
  // A steady stream, not a burst: 200,000 events over a few seconds.
  const agent = run(
    [
      '-e',
      `agent : seq(totalEvents=${TOTAL}, batchSize=500) | { delay(2) => agentE2ESink("127.0.0.1", ${port}) } ;`,
    ],
    dir,
    conf,
  );
  t.after(() => kill9(agent));
  await waitFor(
    () => received(out).size >= TOTAL * 0.3,
    () => `30% at the collector (agent said: ${agent.text().slice(-2000)})`,
    60_000,
    100,
  );
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
  await kill9(collector);
  collector = run(collectorArgs(port), dir, conf);
  await listeningPort(collector.child, collector.text, 'collector/collectorSource', port);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    exited(agent.child),
    new Promise<string>((r) => {
      timer = setTimeout(() => r('timeout'), 120_000);
    }),
  ]);
  clearTimeout(timer);
  assert.equal(
    code,
    0,
    `the agent exits 0 once every group is acknowledged; it said:\n${agent.text().slice(-3000)}`,
  );
  const counts = tally(received(out), TOTAL);
  console.log(
    `collector SIGKILL: sent ${TOTAL}, received ${counts.received}, lost ${counts.lost}, duplicated ${counts.duplicated}`,
  );
  assert.equal(counts.lost, 0, 'no event lost');
  assert.match(agent.text(), /200000 delivered/);
});
