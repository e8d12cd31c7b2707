// A node's status page over HTTPS with a read token, read the way its users read it: `sluice top` with
// --ca and --token-file, and a browser whose page asks for the token and then shows the node's
// components. The node is a real `sluice node -1 --http-port 0 --http-tls-key ... --http-token-file ...`
// process; the certificate is made by openssl at test time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { selfSigned } from '../fixtures/tls.js';
import { artifactPath, launchChromium, shownNumber as number, waitForGrowth } from '../support/browser.js';
import { peerSkip } from '../support/peers.js';
import { writeMasterSite } from '../support/site-conf.js';
import { startWithStatusPage } from '../support/status-page.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');
const TOKEN = 'web-tls-secret';

/** A node with an HTTPS status page and a token: its base URL from its start-up line. */
async function secureNode(t: { after(fn: () => unknown): void }, prefix: string) {
  const cert = selfSigned();
  assert.ok(cert, 'openssl made a certificate');
  const dir = tempDir(prefix, t);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const spec = 'feed : seq(batchSize=10) | { delay(50) => null } ;';
  const node = await startWithStatusPage(
    [
      'node',
      '-1',
      '-e',
      spec,
      '--http-port',
      '0',
      '--http-tls-key',
      cert.keyFile,
      '--http-tls-cert',
      cert.certFile,
      '--http-token-file',
      tokenFile,
    ],
    dir,
  );
  t.after(() => node.stop());
  assert.match(node.log(), /reads need the token/);
  assert.match(node.base, /^https:/);
  return { base: node.base, cert, dir, tokenFile, log: node.log };
}

function top(args: string[], cwd: string) {
  return spawnSync(process.execPath, [BIN, 'top', '--once', ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SLUICE_HTTP_TOKEN: '' },
  });
}

test('sluice top reads an HTTPS page with a token given --ca and --token-file', {
  skip: peerSkip('openssl'),
  timeout: 120_000,
}, async (t) => {
  const node = await secureNode(t, 'web-tls-top');
  const r = top([node.base, '--ca', node.cert.certFile, '--token-file', node.tokenFile], node.dir);
  assert.equal(r.status, 0, `${r.stderr}\n${node.log()}`);
  assert.match(r.stdout, /^null\s+sink\s+null\s+ACTIVE/m);
  // Without the token: refused, and told what to give.
  const untokened = top([node.base, '--ca', node.cert.certFile], node.dir);
  assert.equal(untokened.status, 1);
  assert.match(untokened.stderr, /answered 401 to \/api\/report \(it wants a token: --token-file FILE\)/);
  // Without trusting the certificate: refused, and told how to trust it.
  const untrusting = top([node.base, '--token-file', node.tokenFile], node.dir);
  assert.equal(untrusting.status, 1);
  assert.match(untrusting.stderr, /did not answer: \S+ \(trust its certificate with --ca FILE\)/);
});

test('the node page asks for its token, then shows the components and their counters', {
  skip: peerSkip('openssl', 'chromium'),
  timeout: 180_000,
}, async (t) => {
  const node = await secureNode(t, 'web-tls-browser');
  const browser = await launchChromium(t);
  // Only this context trusts the self-signed certificate.
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 },
  });
  const page = await context.newPage();
  await page.goto(node.base);
  const token = page.getByLabel('Token', { exact: true });
  await token.waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await page.evaluate('document.activeElement.id'), 'token');
  const table = page.getByRole('table', { name: /Per component/ });
  // Nothing of the node is shown before the token is given.
  assert.equal(await table.locator('tbody tr').count(), 0);
  await page.screenshot({ path: artifactPath('node-page-token.png') });
  await token.fill(TOKEN);
  await page.keyboard.press('Enter');
  const eventsOut = table.getByRole('row', { name: /^null/ }).first().locator('td').nth(4);
  await waitFor(
    async () => number(await eventsOut.textContent()) > 0,
    () => `the sink row to show events out; node log:\n${node.log()}`,
    30_000,
    100,
  );
  assert.equal(await page.locator('#token-box').isHidden(), true);
  await waitForGrowth(async () => number(await eventsOut.textContent()), 'the counter');
});

test("the master's web port takes the master's certificate and token", {
  skip: peerSkip('openssl'),
  timeout: 120_000,
}, async (t) => {
  const cert = selfSigned();
  assert.ok(cert, 'openssl made a certificate');
  const dir = tempDir('web-tls-master', t);
  const { conf } = await writeMasterSite(dir);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const tls = ['--tls-key', cert.keyFile, '--tls-cert', cert.certFile];
  const master = await startWithStatusPage(
    ['master', '--conf', conf, '--store', 'memory', '--http-port', '0', '--token-file', tokenFile, ...tls],
    dir,
  );
  t.after(() => master.stop());
  assert.match(master.log(), /reads need the token/);
  const { base, log } = master;
  const r = top([base, '--ca', cert.certFile, '--token-file', tokenFile], dir);
  assert.equal(r.status, 0, `${r.stderr}\n${log()}`);
  assert.match(r.stdout, /\(fleet, version \d+\)/);
  const refused = top([base, '--ca', cert.certFile], dir);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /answered 401/);
});

test('a node joined to a master with a token guards its own page with that token', {
  timeout: 120_000,
}, async (t) => {
  const dir = tempDir('web-tls-joined', t);
  const { conf } = await writeMasterSite(dir);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const master = await startWithStatusPage(
    ['master', '--conf', conf, '--store', 'memory', '--http-port', '0', '--token-file', tokenFile],
    dir,
  );
  t.after(() => master.stop());
  const node = await startWithStatusPage(
    ['node', '-n', 'web1', '--conf', conf, '--token-file', tokenFile, '--http-port', '0'],
    dir,
  );
  t.after(() => node.stop());
  assert.match(node.log(), /reads need the token/);
  const report = (token?: string) =>
    fetch(new URL('/api/report', node.base), {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  assert.equal((await report()).status, 401);
  assert.equal((await report('another')).status, 401);
  const ok = await report(TOKEN);
  assert.equal(ok.status, 200);
  assert.match(JSON.stringify(await ok.json()), /"node":"web1"/);
});

test('the status page TLS flags come in pairs and name an unreadable file', async (t) => {
  const dir = tempDir('web-tls-flags', t);
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, 'node', '-1', '-e', 'a : null | null ;', '--http-port', '0', ...args], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
  const keyOnly = run(['--http-tls-key', join(dir, 'key.pem')]);
  assert.equal(keyOnly.status, 2, keyOnly.stderr);
  assert.match(keyOnly.stderr, /--http-tls-key needs --http-tls-cert/);
  const certOnly = run(['--http-tls-cert', join(dir, 'cert.pem')]);
  assert.equal(certOnly.status, 2, certOnly.stderr);
  assert.match(certOnly.stderr, /--http-tls-cert needs --http-tls-key/);
  const missing = join(dir, 'absent-key.pem');
  const unreadable = run(['--http-tls-key', missing, '--http-tls-cert', missing]);
  assert.notEqual(unreadable.status, 0);
  assert.match(
    unreadable.stderr,
    new RegExp(`reading the status page's TLS key ${missing.replace(/[.]/g, '\\.')}: no such file`),
  );
});
