// One master leads translation, and node status crosses masters: a three-server ZooKeeper ensemble
// (Debian's zookeeper package) on loopback, two `sluice master` processes sharing it, four `sluice
// node` processes heartbeating to master A only (three collectors and an agent with autoBEChain).
// Checked: master B lists A's nodes ACTIVE; both masters say B (started first) leads; a collector
// killed is left out of the agent's chain by B from what A published; B killed with SIGKILL, A leads
// within the session timeout and a collector killed after that is left out too, the agent running the
// new chain; every configuration is still there.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { peerSkip } from '../support/peers.js';
import { exited, output, shell, sluice } from '../support/processes.js';
import { writeSiteConf } from '../support/site-conf.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';
import { startZooKeeper } from '../support/zookeeper.js';

test('two masters on ZooKeeper: one leads translation, each lists the whole fleet, the other leads when it dies', {
  skip: peerSkip('zookeeper'),
  timeout: 180_000,
}, async (t) => {
  const zk = await startZooKeeper(t, 3);
  const dir = tempDir('master-zk-leader', t);
  const conf = writeSiteConf(dir, {
    'flume.config.heartbeat.period': '200',
    'flume.master.store': 'zookeeper',
    'flume.master.zk.use.external': 'true',
    'flume.master.zk.servers': zk.connectString,
    // A killed master leaves the election sooner than the 10 s default.
    'flume.master.zk.session.timeout': '4000',
  });
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  const start = (args: string[]) => {
    const c = sluice([...args, '--conf', conf], dir);
    children.push(c);
    return { c, log: output(c) };
  };
  const startMaster = async () => {
    const hb = await freePort();
    const admin = await freePort();
    const m = start(['master', '--heartbeat-port', `${hb}`, '--admin-port', `${admin}`]);
    await waitForPort(admin, `a master's admin port (log: ${m.log.text()})`, 30_000);
    return { ...m, hb, admin, at: ['-c', `127.0.0.1:${admin}`], address: `127.0.0.1:${admin}` };
  };
  const run = async (at: string[], cmd: string) => (await shell([...at, '-q', '-e', cmd], dir)).out;
  const leaderLines = (text: string) => text.split('\n').filter((l) => / leader /.test(l));

  // B first: it leads. The nodes heartbeat to A only.
  const b = await startMaster();
  let masters = '';
  await waitFor(
    async () => {
      masters = await run(b.at, 'getmasters');
      return new RegExp(`^${b.address} \\(connected\\) +leader `, 'm').test(masters);
    },
    () => `master B to lead:\n${masters}\n${b.log.text()}`,
    30_000,
    200,
  );
  const a = await startMaster();
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes = new Map(
    ['c1', 'c2', 'c3', 'agent'].map((n) => [n, start(['node', '-n', n, '--master', `127.0.0.1:${a.hb}`])]),
  );
  const logs = () =>
    [`A: ${a.log.text()}`, `B: ${b.log.text()}`, ...[...nodes].map(([n, p]) => `${n}: ${p.log.text()}`)].join(
      '\n',
    );
  const spec = `${ports.map((p, i) => `c${i + 1} : collectorSource(${p}) | null ;`).join(' ')} agent : tail("${join(dir, 'in.log')}") | autoBEChain ;`;
  writeFileSync(join(dir, 'in.log'), '');
  const setUp = await shell(
    [...a.at, '-q'],
    dir,
    `multiconfig '${spec}'\nwaitForNodesActive 60000 c1 c2 c3 agent\n`,
  );
  assert.equal(setUp.code, 0, setUp.err + logs());

  // B hears from no node, yet lists every one ACTIVE.
  let status = '';
  await waitFor(
    async () => {
      status = await run(b.at, 'getnodestatus');
      return ['agent', 'c1', 'c2', 'c3'].every((n) =>
        new RegExp(`^${n} +${n} +\\S+ +ACTIVE +\\d+ +APPLIED`, 'm').test(status),
      );
    },
    () => `master B to list A's nodes ACTIVE:\n${status}`,
    30_000,
    200,
  );
  // Both masters say the same: B leads, A follows with the four nodes.
  for (const via of [a, b]) {
    masters = await run(via.at, 'getmasters');
    assert.deepEqual(leaderLines(masters).length, 1, masters);
    assert.match(masters, new RegExp(`^${b.address}( \\(connected\\))? +leader +0$`, 'm'));
    assert.match(masters, new RegExp(`^${a.address}( \\(connected\\))? +follower +4$`, 'm'));
  }
  const configsBefore = (await run(a.at, 'getconfigs'))
    .split('\n')
    .map((l) => l.replace(/ +v\d+: .*$/, ''))
    .join('\n');

  const chainOf = async (at: string[]) => {
    const line = (await run(at, 'getconfigs')).split('\n').find((l) => l.startsWith('agent '));
    return /v\d+: tail\(.*\) \| (.*)$/.exec(line ?? '')?.[1] ?? `(no agent line: ${line})`;
  };
  const chainOver = (...collectors: number[]) =>
    new RegExp(`^agentBEChain\\(${collectors.map(() => '"127\\.0\\.0\\.1:(\\d+)"').join(', ')}\\)$`);
  const portsIn = (chain: string) => [...chain.matchAll(/:(\d+)"/g)].map((m) => Number(m[1])).sort();
  let chain = await chainOf(a.at);
  assert.match(chain, chainOver(0, 1, 2));
  assert.deepEqual(portsIn(chain), [...ports].sort());

  // c1 dies: B, the leader, sees it missing in what A published and leaves it out of the chain.
  nodes.get('c1')!.c.kill('SIGKILL');
  await waitFor(
    async () => {
      chain = await chainOf(a.at);
      return portsIn(chain).join() === [ports[1]!, ports[2]!].sort().join();
    },
    () => `the agent's chain without c1: ${chain}\n${logs()}`,
    30_000,
    200,
  );
  assert.match(b.log.text(), /translated again: agent/);
  assert.doesNotMatch(a.log.text(), /leads translation/);

  // B, the leader, dies: A leads once B's session times out.
  b.c.kill('SIGKILL');
  await exited(b.c);
  await waitFor(
    async () => {
      masters = await run(a.at, 'getmasters');
      return (
        new RegExp(`^${a.address} \\(connected\\) +leader +3$`, 'm').test(masters) &&
        leaderLines(masters).length === 1 &&
        !masters.includes(b.address)
      );
    },
    () => `master A to lead alone:\n${masters}\n${a.log.text()}`,
    40_000,
    200,
  );
  assert.match(a.log.text(), /master 127\.0\.0\.1:\d+ leads translation/);

  // A collector lost now is left out by the new leader, and the agent runs the new chain.
  nodes.get('c2')!.c.kill('SIGKILL');
  await waitFor(
    async () => {
      chain = await chainOf(a.at);
      return chain === `agentBEChain("127.0.0.1:${ports[2]}")`;
    },
    () => `the agent's chain without c2: ${chain}\n${logs()}`,
    30_000,
    200,
  );
  const version = /^agent .* v(\d+): /m.exec(await run(a.at, 'getconfigs'))?.[1];
  await waitFor(
    async () => {
      status = await run(a.at, 'getnodestatus');
      return new RegExp(`^agent +agent +\\S+ +ACTIVE +${version} +APPLIED`, 'm').test(status);
    },
    () => `the agent to run version ${version}:\n${status}`,
    30_000,
    200,
  );
  assert.match(status, /^c1 +c1 +\S+ +LOST /m);
  assert.match(status, /^c2 +c2 +\S+ +LOST /m);

  // Nothing entered was lost: every configuration, version and hash as before.
  const configsAfter = (await run(a.at, 'getconfigs'))
    .split('\n')
    .map((l) => l.replace(/ +v\d+: .*$/, ''))
    .join('\n');
  assert.equal(configsAfter, configsBefore);

  for (const n of ['c3', 'agent']) {
    const p = nodes.get(n)!;
    p.c.kill('SIGTERM');
    assert.equal(await exited(p.c), 0, p.log.text());
  }
  a.c.kill('SIGTERM');
  assert.equal(await exited(a.c), 0, a.log.text());
});
