// Acks through the master with real processes: `sluice master` and two `sluice node` processes. The
// agent on hostB (`tail | agentE2ESink` to the collector's port) asks the master about its groups; the
// collector on hostA (`collectorSource | collectorSink`) acknowledges each group after its roll and its
// node reports the tags with its heartbeats. Every line arrives, the master's store holds the agent's
// tags, and the agent's log empties (groupsPending 0) although it never asks the collector.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ReliabilityFigures } from '../../src/core/pipeline.js';
import { freePort } from '../../src/core/ports.js';
import type { NodeStatus } from '../../src/master/master.js';
import { callMaster } from '../../src/master/wire.js';
import { output, shell, sluice } from '../support/processes.js';
import { writeSiteConf } from '../support/site-conf.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';

function collected(out: string): Set<string> {
  if (!existsSync(out)) return new Set();
  const names = readdirSync(out).filter((n) => !n.startsWith('.'));
  return new Set(names.flatMap((n) => readFileSync(join(out, n), 'utf8').split('\n').filter(Boolean)));
}

test('under a master, an E2E agent learns of its acks from the master, which keeps them in its store', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir('master-acks', t);
  const hbPort = await freePort();
  const adminPort = await freePort();
  const collectorPort = await freePort();
  const store = join(dir, 'store');
  const conf = writeSiteConf(dir, {
    'flume.config.heartbeat.period': '200',
    'flume.master.heartbeat.port': String(hbPort),
    'flume.master.admin.port': String(adminPort),
    'flume.master.zk.logdir': store,
    'flume.agent.logdir': join(dir, 'agent'),
    'flume.agent.logdir.maxage': '200',
    'flume.agent.ack.poll': '100',
    'flume.collector.output.format': 'raw',
  });
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  const start = (args: string[]) => {
    const c = sluice([...args, '--conf', conf], dir);
    children.push(c);
    return output(c);
  };
  const master = start(['master']);
  await waitForPort(adminPort, "the master's admin port", 60_000);
  const hostA = start(['node', '-n', 'hostA']);
  const hostB = start(['node', '-n', 'hostB']);
  const logs = () => `master: ${master.text()}\nhostA: ${hostA.text()}\nhostB: ${hostB.text()}`;

  const input = join(dir, 'in.log');
  const out = join(dir, 'out');
  writeFileSync(input, '');
  const setUp = await shell(
    ['-q', '-c', `localhost:${adminPort}`],
    dir,
    [
      `multiconfig 'agent : tail("${input}") | agentE2ESink("127.0.0.1", ${collectorPort}) ; collector : collectorSource(${collectorPort}) | collectorSink("file://${out}", "d-", 200) ;'`,
      'spawn hostA collector',
      'spawn hostB agent',
      'waitForNodesActive 30000 agent collector',
      '',
    ].join('\n'),
  );
  assert.equal(setUp.code, 0, setUp.err + logs());

  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`);
  // In four parts, each once the last arrived: several ack groups, each acknowledged on its own.
  for (let i = 0; i < lines.length; i += 500) {
    appendFileSync(input, `${lines.slice(i, i + 500).join('\n')}\n`);
    await waitFor(
      () => collected(out).size >= i + 500,
      () => `${i + 500} lines at the collector, got ${collected(out).size}; ${logs()}`,
      60_000,
    );
  }
  assert.deepEqual([...collected(out)].sort(), [...lines].sort());

  const admin = { host: '127.0.0.1', port: adminPort };
  let figures: ReliabilityFigures | undefined;
  await waitFor(
    async () => {
      const status = await callMaster<NodeStatus[]>(admin, 'GET', '/status');
      const agent = status.find((s) => s.name === 'agent');
      figures = agent?.report?.components.find((c) => c.reliability !== undefined)?.reliability;
      return figures !== undefined && figures.groupsAcked >= 2 && figures.groupsPending === 0;
    },
    () => `the agent's groups acknowledged (${JSON.stringify(figures)}); ${logs()}`,
    30_000,
    100,
  );
  console.log(`agent: ${JSON.stringify(figures)}`);
  assert.equal(figures!.groupsRetransmitted, 0, logs());
  // The tags the agent's groups were acknowledged by are in the master's durable state.
  const state = JSON.parse(readFileSync(join(store, 'master-state.json'), 'utf8')) as {
    acks?: Record<string, number>;
  };
  const tags = Object.keys(state.acks ?? {}).filter((tag) => tag.includes('-agent-'));
  assert.ok(tags.length >= figures!.groupsAcked, `${tags.length} agent tags in the store`);
});
