// The master with real processes on loopback: `sluice master` (embedded store, a shared token), one
// `sluice node -n host1` joining it, and `sluice shell` driving both. Checked: the shell configures the
// node and waitForNodesActive succeeds; events flow; a second config changes the node live (same
// process); a malformed spec fails with its place and the node keeps its pipeline; a wait that times
// out, a wrong token and a failed command give the shell a non-zero status; the master killed with
// SIGKILL and restarted still has every configuration, and the node carries on without reapplying.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { feed, lines } from '../support/numbered-lines.js';
import { exited, output, shell, sluice } from '../support/processes.js';
import { writeMasterSite } from '../support/site-conf.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';

test('master, node and shell as processes: configure live, refuse bad specs, survive a master restart', {
  timeout: 180_000,
}, async (t) => {
  const dir = tempDir('master', t);
  const { conf, adminPort } = await writeMasterSite(dir);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'a-shared-secret\n');
  const auth = ['--token-file', tokenFile];
  const at = ['-c', `localhost:${adminPort}`, ...auth];

  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  const startMaster = async () => {
    const m = sluice(['master', '--conf', conf, ...auth], dir);
    children.push(m);
    const log = output(m);
    await waitForPort(adminPort, `the master's admin port (log: ${log.text()})`, 60_000);
    return { m, log };
  };
  let master = await startMaster();
  const node = sluice(['node', '-n', 'host1', '--conf', conf, ...auth], dir);
  children.push(node);
  const nodeLog = output(node);

  const input = join(dir, 'in.log');
  const out1 = join(dir, 'out1.txt');
  const out2 = join(dir, 'out2.txt');
  writeFileSync(input, '');

  // A wrong token is refused: the shell says so and fails.
  const denied = await shell(['-c', `localhost:${adminPort}`, '-e', 'getnodestatus'], dir);
  assert.equal(denied.code, 1, denied.err);
  assert.match(denied.err, /wrong or missing token/);

  // Commands piped on stdin, the seed's quoting.
  const first = await shell(
    ['-q', ...auth],
    dir,
    `connect localhost:${adminPort}\nconfig host1 'tail("${input}")' "text(\\"${out1}\\")"\nwaitForNodesActive 30000 host1\ngetnodestatus\nquit\n`,
  );
  assert.equal(first.code, 0, first.err + nodeLog.text());
  assert.match(first.out, /config host1 tail\(.*\) text\(.*\) SUCCEEDED: host1 version 1/);
  // The seed's waitForNodesActive takes CONFIGURING too: a node reports it while its source opens.
  assert.match(first.out, /^host1 +host1 +\S+ +(ACTIVE|CONFIGURING) +1 +APPLIED/m);
  feed(input, 0, 100);
  await waitFor(
    () => lines(out1) === 100,
    () => `100 lines in out1 (${lines(out1)})`,
    30_000,
  );

  // A second process with the same name is refused, and the first keeps its node.
  const impostor = sluice(['node', '-n', 'host1', '--conf', conf, ...auth], dir);
  children.push(impostor);
  const impostorLog = output(impostor);
  await waitFor(
    () => /physical node "host1" is already heartbeating/.test(impostorLog.text()),
    () => `the impostor refused (log: ${impostorLog.text()})`,
    30_000,
  );
  impostor.kill('SIGTERM');
  assert.equal(await exited(impostor), 0, impostorLog.text());
  assert.doesNotMatch(impostorLog.text(), /configuration applied/);

  // A second config changes the node live: the same process applies version 2.
  const second = await shell([...at, '-e', `config host1 'tail("${input}")' 'text("${out2}")'`], dir);
  assert.equal(second.code, 0, second.err);
  await waitFor(() => /configuration applied: host1 v2/.test(nodeLog.text()), 'version 2 applied', 30_000);
  feed(input, 100, 50);
  // Version 2's tail goes on where version 1 stopped: the 50 new lines, none of the first 100 again.
  await waitFor(
    () => lines(out2) === 50,
    () => `50 lines in out2 (${lines(out2)})`,
    30_000,
  );
  assert.equal(lines(out1), 100, 'the old pipeline was closed');
  assert.equal(node.exitCode, null, 'the node process was not restarted');

  // A malformed spec fails with its place; the node keeps its pipeline.
  const bad = await shell([...at, '-e', `config host1 'tail("${input}")' 'text("${out1}", '`], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /FAILED: config host1 sink:1:\d+: /);
  feed(input, 150, 10);
  await waitFor(
    () => lines(out2) === 60,
    () => `60 lines in out2 (${lines(out2)})`,
    30_000,
  );

  // A wait that times out fails the shell, and a script stops at it.
  const timedOut = await shell(at, dir, 'waitForNodesActive 300 nobody\ngetconfigs\n');
  assert.equal(timedOut.code, 1);
  assert.match(timedOut.err, /waitForNodesActive timed out after 300 ms: nobody unknown/);
  assert.doesNotMatch(timedOut.out, /logical node/, 'the script stopped at the failed wait');

  // A script (-s): a second logical node spawned on host1, run to its end, decommissioned.
  const out3 = join(dir, 'out3.txt');
  const script = join(dir, 'deploy.flumesh');
  writeFileSync(
    script,
    [
      `multiconfig 'second : asciisynth(25, 8) | text("${out3}") ;'`,
      'submit spawn host1 second',
      'wait 10000',
      'waitForNodesDone 30000 second',
      'decommission second',
      'getnodestatus',
      '',
    ].join('\n'),
  );
  const deployed = await shell([...at, '-s', script], dir);
  assert.equal(deployed.code, 0, deployed.err + nodeLog.text());
  assert.match(deployed.out, /\[id: \d+\] spawn host1 second SUCCEEDED/);
  assert.match(deployed.out, /^second +- +- +DECOMMISSIONED/m);
  assert.equal(lines(out3), 25);
  const twice = await shell([...at, '-e', 'spawn host1 host1'], dir);
  assert.equal(twice.code, 1);
  assert.match(twice.err, /"host1" is already mapped to "host1"/);

  // The master dies: the shell says it does not answer. It comes back with every configuration; the
  // node carries on.
  master.m.kill('SIGKILL');
  await exited(master.m);
  const gone = await shell([...at, '-e', 'noop'], dir);
  assert.equal(gone.code, 1);
  assert.match(gone.err, /master 127\.0\.0\.1:\d+ did not answer: ECONNREFUSED/);
  master = await startMaster();
  await waitFor(
    () => /1 configuration\(s\) loaded/.test(master.log.text()),
    () => `the master to log what it loaded: ${master.log.text()}`,
    30_000,
  );
  const after = await shell([...at, '-e', 'getconfigs'], dir);
  assert.equal(after.code, 0, after.err);
  assert.match(
    after.out,
    new RegExp(
      `^host1 +default +2 +[0-9a-f]{16} +tail\\(.*\\) +text\\("${out2}"\\) +v2: tail\\(.*\\) \\| text\\("${out2}"\\)$`,
      'm',
    ),
  );
  const again = await shell([...at, '-e', 'waitForNodesActive 30000 host1'], dir);
  assert.equal(again.code, 0, again.err);
  feed(input, 160, 10);
  await waitFor(
    () => lines(out2) === 70,
    () => `70 lines in out2 (${lines(out2)})`,
    30_000,
  );
  const applied = nodeLog.text().match(/configuration applied: .*/g) ?? [];
  assert.deepEqual(applied.slice(-1), ['configuration applied: removed second'], 'nothing was reapplied');

  node.kill('SIGTERM');
  assert.equal(await exited(node), 0, nodeLog.text());
  master.m.kill('SIGTERM');
  assert.equal(await exited(master.m), 0, master.log.text());
});
