// Several masters on a real ZooKeeper: a three-server ensemble (Debian's zookeeper package) on loopback,
// two `sluice master` processes sharing it (flume.master.zk.use.external), one `sluice node` that lists
// both masters, and shells. Checked: a configuration made through master A is seen through master B;
// events flow; master A (and one ZooKeeper server) killed with SIGKILL: the node keeps flowing, moves its
// heartbeats to B and stays configurable through B (a shell given both masters fails over), and no
// configuration is lost (B shows every version made through A, and the command A ran is still in the
// shared history).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../src/core/ports.js';
import { feed, lines } from '../support/numbered-lines.js';
import { peerSkip } from '../support/peers.js';
import { exited, output, shell, sluice } from '../support/processes.js';
import { writeSiteConf } from '../support/site-conf.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';
import { startZooKeeper } from '../support/zookeeper.js';

test('two masters on a ZooKeeper ensemble: one killed, the node flows on and the other configures it', {
  skip: peerSkip('zookeeper'),
  timeout: 120_000,
}, async (t) => {
  const zk = await startZooKeeper(t, 3);
  const dir = tempDir('master-zk', t);
  const conf = writeSiteConf(dir, {
    'flume.config.heartbeat.period': '200',
    'flume.master.store': 'zookeeper',
    'flume.master.zk.use.external': 'true',
    'flume.master.zk.servers': zk.connectString,
  });
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  const startMaster = async () => {
    const hb = await freePort();
    const admin = await freePort();
    const m = sluice(
      ['master', '--conf', conf, '--heartbeat-port', `${hb}`, '--admin-port', `${admin}`],
      dir,
    );
    children.push(m);
    const log = output(m);
    await waitForPort(admin, `a master's admin port (log: ${log.text()})`, 30_000);
    return { m, log, hb, admin };
  };
  const [a, b] = await Promise.all([startMaster(), startMaster()]);
  assert.match(
    a.log.text(),
    /store ZooKeeper 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+ \(\/sluice\/master\)/,
  );

  const node = sluice(
    ['node', '-n', 'host1', '--conf', conf, '--master', `127.0.0.1:${a.hb},127.0.0.1:${b.hb}`],
    dir,
  );
  children.push(node);
  const nodeLog = output(node);
  const input = join(dir, 'in.log');
  const out1 = join(dir, 'out1.txt');
  const out2 = join(dir, 'out2.txt');
  writeFileSync(input, '');

  // Configured through A; B sees the configuration (it reads the shared state).
  const viaA = ['-c', `127.0.0.1:${a.admin}`];
  const viaB = ['-c', `127.0.0.1:${b.admin}`];
  const first = await shell(
    [...viaA, '-q'],
    dir,
    `config host1 'tail("${input}")' 'text("${out1}")'\nwaitForNodesActive 30000 host1\n`,
  );
  assert.equal(first.code, 0, first.err + nodeLog.text());
  const cmdId = /\[id: (\d+)\] config host1/.exec(first.out)?.[1];
  assert.ok(cmdId !== undefined, first.out);
  const seen = await shell([...viaB, '-e', 'getconfigs'], dir);
  assert.equal(seen.code, 0, seen.err);
  assert.match(
    seen.out,
    new RegExp(
      `^host1 +default +1 +[0-9a-f]{16} +tail\\(.*\\) +text\\("${out1}"\\) +v1: tail\\(.*\\) \\| text\\("${out1}"\\)$`,
      'm',
    ),
  );
  feed(input, 0, 100);
  await waitFor(
    () => lines(out1) === 100,
    () => `100 lines in out1 (${lines(out1)})`,
    30_000,
  );

  // Master A dies, and one ZooKeeper server with it (the other two are still a quorum). The node's
  // pipeline does not depend on either: events keep flowing.
  a.m.kill('SIGKILL');
  await exited(a.m);
  await zk.kill(1);
  feed(input, 100, 100);
  await waitFor(
    () => lines(out1) === 200,
    () => `200 lines in out1 (${lines(out1)})`,
    30_000,
  );

  // A shell given both masters moves to B, which takes the command; the node, heartbeating to B now,
  // applies it live.
  const both = ['-c', `127.0.0.1:${a.admin},127.0.0.1:${b.admin}`];
  const second = await shell(
    [...both, '-q'],
    dir,
    `config host1 'tail("${input}")' 'text("${out2}")'\nwaitForNodesActive 30000 host1\n`,
  );
  assert.equal(second.code, 0, second.err + nodeLog.text());
  assert.match(
    second.err,
    new RegExp(
      `master 127\\.0\\.0\\.1:${a.admin} did not answer; now connected to 127\\.0\\.0\\.1:${b.admin}`,
    ),
  );
  assert.match(second.out, /SUCCEEDED: host1 version 2/);
  const switched = new RegExp(`heartbeating to master 127\\.0\\.0\\.1:${b.hb}`);
  await waitFor(
    () => switched.test(nodeLog.text()),
    () => `the node to log ${switched}: ${nodeLog.text()}`,
    30_000,
  );
  await waitFor(() => /configuration applied: host1 v2/.test(nodeLog.text()), 'version 2 applied', 30_000);
  let status = '';
  await waitFor(
    async () => {
      status = (await shell([...viaB, '-e', 'getnodestatus'], dir)).out;
      return /^host1 +host1 +\S+ +ACTIVE +2 +APPLIED/m.test(status);
    },
    () => `master B to report host1 ACTIVE at version 2:\n${status}`,
    30_000,
    200,
  );
  feed(input, 200, 50);
  // The new pipeline's tail goes on where the old one stopped: only the new lines reach out2.
  await waitFor(
    () => lines(out2) === 50,
    () => `50 lines in out2 (${lines(out2)})`,
    30_000,
  );
  assert.equal(lines(out1), 200, 'the first pipeline wrote everything before it closed');

  // Nothing was lost: B has both versions (rollback to the one made through A works) and the history
  // of the command A ran.
  const check = await shell([...viaB, '-q'], dir, `rollback host1\ngetconfigs\nwait 5000 ${cmdId}\n`);
  assert.equal(check.code, 0, check.err);
  assert.match(check.out, /host1 rolled back to version 1 \(now version 3\)/);
  assert.match(
    check.out,
    new RegExp(
      `^host1 +default +3 +[0-9a-f]{16} +tail\\(.*\\) +text\\("${out1}"\\) +v3: tail\\(.*\\) \\| text\\("${out1}"\\)$`,
      'm',
    ),
  );
  assert.equal(node.exitCode, null, 'the node process was never restarted');

  node.kill('SIGTERM');
  assert.equal(await exited(node), 0, nodeLog.text());
  b.m.kill('SIGTERM');
  assert.equal(await exited(b.m), 0, b.log.text());
});
