// The master's control ports over TLS, with real processes on loopback and a certificate openssl makes
// at test time: `sluice master --tls-key --tls-cert`, a node and a shell trusting it with --tls-ca
// configure the node and see it ACTIVE; a plain-HTTP shell and one that does not trust the certificate
// are refused, and the master logs the refused handshake.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { selfSigned } from '../fixtures/tls.js';
import { peerSkip } from '../support/peers.js';
import { output, shell, sluice } from '../support/processes.js';
import { writeMasterSite } from '../support/site-conf.js';
import { tempDir } from '../support/tmp.js';
import { waitFor, waitForPort } from '../support/wait.js';

test('a node and a shell reach a TLS master; plain and untrusting clients are refused', {
  timeout: 120_000,
  skip: peerSkip('openssl'),
}, async (t) => {
  const cert = selfSigned();
  assert.ok(cert, 'openssl made a certificate');
  const dir = tempDir('master-tls', t);
  const { conf, adminPort } = await writeMasterSite(dir);
  const children: ChildProcess[] = [];
  t.after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  const master = sluice(
    ['master', '--conf', conf, '--tls-key', cert.keyFile, '--tls-cert', cert.certFile],
    dir,
  );
  children.push(master);
  const masterLog = output(master);
  await waitForPort(adminPort, `the master's admin port (log: ${masterLog.text()})`, 60_000);
  // The port answers before its start-up line has come through the pipe.
  await waitFor(
    () => /; TLS/.test(masterLog.text()),
    () => `the master to log TLS: ${masterLog.text()}`,
    30_000,
  );
  const node = sluice(['node', '-n', 'host1', '--conf', conf, '--tls-ca', cert.certFile], dir);
  children.push(node);
  const nodeLog = output(node);

  const input = join(dir, 'in.log');
  writeFileSync(input, '');
  const trusted = await shell(
    [
      '-q',
      '--tls-ca',
      cert.certFile,
      '-c',
      `localhost:${adminPort}`,
      '-s',
      writeScript(dir, `config host1 'tail("${input}")' null\nwaitForNodesActive 30000 host1\n`),
    ],
    dir,
  );
  assert.equal(trusted.code, 0, trusted.err + nodeLog.text() + masterLog.text());
  assert.match(trusted.out, /config host1 .* SUCCEEDED: host1 version 1/);

  const plain = await shell(['-c', `localhost:${adminPort}`, '-e', 'getnodestatus'], dir);
  assert.equal(plain.code, 1, plain.out);
  assert.match(plain.err, /master 127\.0\.0\.1:\d+ did not answer/);
  await waitFor(
    () => /master admin port: refused 127\.0\.0\.1/.test(masterLog.text()),
    () => `the plain request logged (log: ${masterLog.text()})`,
  );

  const untrusting = await shell(['--tls', '-c', `localhost:${adminPort}`, '-e', 'getnodestatus'], dir);
  assert.equal(untrusting.code, 1, untrusting.out);
  assert.match(
    untrusting.err,
    /TLS certificate is not trusted \(self[- ]signed certificate\); give its authority with --tls-ca/i,
  );
  assert.doesNotMatch(nodeLog.text(), /failing/, 'the node heartbeats over TLS throughout');
});

function writeScript(dir: string, text: string): string {
  const file = join(dir, 'script.flume');
  writeFileSync(file, text);
  return file;
}
