// Client certificates (mutual TLS) on the web ports, the way an operator sets them up: an authority made
// with openssl at test time signs the page's certificate and a scraper's; a real `sluice node -1` or
// `sluice master` serves its page with --http-tls-ca, and `sluice top`, a Prometheus-like HTTPS client
// and a client from another authority read it (or fail to) over loopback.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { authority, issue, type KeyAndCert } from '../fixtures/tls.js';
import { peerSkip } from '../support/peers.js';
import { writeMasterSite } from '../support/site-conf.js';
import { startWithStatusPage } from '../support/status-page.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');
const TOKEN = 'web-mtls-secret';

interface Pki {
  ca: KeyAndCert;
  server: KeyAndCert;
  client: KeyAndCert;
  /** A client certificate from another authority. */
  stranger: KeyAndCert;
}

function pki(): Pki {
  const ca = authority();
  const other = authority('another authority');
  assert.ok(ca && other, 'openssl made the authorities');
  const server = issue(ca, 'server', 'server');
  const client = issue(ca, 'scraper', 'client');
  const stranger = issue(other, 'stranger', 'client');
  assert.ok(server && client && stranger, 'openssl signed the certificates');
  return { ca, server, client, stranger };
}

function sluice(args: string[], cwd: string) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SLUICE_HTTP_TOKEN: '' },
  });
}

const clientFlags = (c: KeyAndCert) => ['--cert', c.certFile, '--key', c.keyFile];

/** One GET over HTTPS trusting `ca`, as Prometheus with tls_config.cert_file/key_file does it. */
function scrape(
  url: string,
  o: { ca: Buffer; client?: KeyAndCert | undefined; token?: string | undefined },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(
      url,
      {
        ca: o.ca,
        cert: o.client?.cert,
        key: o.client?.key,
        timeout: 30_000,
        headers: o.token === undefined ? {} : { authorization: `Bearer ${o.token}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
  });
}

/**
 * A TLS client without a certificate that sends a health probe as soon as it may: resolves with what
 * came back (the bytes) and how it ended, once the connection closes.
 */
function probeWithoutCertificate(port: number, ca: Buffer): Promise<{ bytes: number; error?: string }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let error: string | undefined;
    const s = connect({ host: '127.0.0.1', port, ca }, () =>
      s.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
    );
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('the connection without a certificate was kept open for 30 s'));
    }, 30_000);
    s.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes, ...(error === undefined ? {} : { error }) });
    });
  });
}

const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;

test('a node page with --http-tls-ca admits only certificates of its authority, the token on top', {
  skip: peerSkip('openssl'),
  timeout: 180_000,
}, async (t) => {
  const certs = pki();
  const dir = tempDir('web-mtls-node', t);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const node = await startWithStatusPage(
    [
      'node',
      '-1',
      '-e',
      'feed : seq(batchSize=10) | { delay(50) => null } ;',
      '--http-port',
      '0',
      '--http-tls-key',
      certs.server.keyFile,
      '--http-tls-cert',
      certs.server.certFile,
      '--http-tls-ca',
      certs.ca.certFile,
      '--http-token-file',
      tokenFile,
    ],
    dir,
  );
  t.after(() => node.stop());
  assert.match(node.log(), /clients need a certificate from its authority; reads need the token/);
  const { base, log } = node;
  const top = (...args: string[]) =>
    sluice(['top', '--once', base, '--ca', certs.ca.certFile, '--token-file', tokenFile, ...args], dir);

  const ok = top(...clientFlags(certs.client));
  assert.equal(ok.status, 0, `${ok.stderr}\n${log()}`);
  assert.match(ok.stdout, /^null\s+sink\s+null\s+ACTIVE/m);

  const without = top();
  assert.equal(without.status, 1, without.stdout);
  assert.match(
    without.stderr,
    /did not answer: \S+ \((it asks for a client certificate|if it asks for client certificates): give one with --cert FILE --key FILE\)/,
  );

  const foreign = top(...clientFlags(certs.stranger));
  assert.equal(foreign.status, 1, foreign.stdout);
  assert.match(
    foreign.stderr,
    /did not answer: \S+ \(it may refuse the client certificate: is --cert signed by the authority it trusts\?\)/,
  );

  // Prometheus with cert_file/key_file and the token: the metrics. The certificate alone is not enough.
  const metrics = await scrape(new URL('/metrics', base).href, {
    ca: certs.ca.cert,
    client: certs.client,
    token: TOKEN,
  });
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /^component_sent_events_total\{.*\} \d+/m);
  const untokened = await scrape(new URL('/metrics', base).href, { ca: certs.ca.cert, client: certs.client });
  assert.equal(untokened.status, 401);
  await assert.rejects(
    scrape(new URL('/metrics', base).href, { ca: certs.ca.cert, client: certs.stranger, token: TOKEN }),
  );

  // Health too stays behind the handshake: a probe without a certificate gets no HTTP answer at all.
  const port = Number(new URL(base).port);
  const probe = await probeWithoutCertificate(port, certs.ca.cert);
  assert.equal(probe.bytes, 0, 'no byte of an HTTP answer');
  assert.ok(probe.error, 'the connection ended in a TLS error');
  await probeWithoutCertificate(port, certs.ca.cert);

  // Each kind of refusal is logged once for the peer, however often it comes back.
  await waitFor(
    () =>
      /refused 127\.0\.0\.1 at the TLS handshake: peer did not return a certificate/.test(log()) &&
      /refused 127\.0\.0\.1 at the TLS handshake: its client certificate failed verification/.test(log()),
    () => `both refusals in the node's log:\n${log()}`,
    30_000,
  );
  assert.equal(count(log(), /at the TLS handshake: peer did not return a certificate/), 1, log());
  assert.equal(count(log(), /at the TLS handshake: its client certificate failed verification/), 1, log());
});

test("the master's web port asks for client certificates with --http-tls-ca", {
  skip: peerSkip('openssl'),
  timeout: 180_000,
}, async (t) => {
  const certs = pki();
  const dir = tempDir('web-mtls-master', t);
  const { conf } = await writeMasterSite(dir);
  const tls = ['--tls-key', certs.server.keyFile, '--tls-cert', certs.server.certFile];
  const master = await startWithStatusPage(
    [
      'master',
      '--conf',
      conf,
      '--store',
      'memory',
      '--http-port',
      '0',
      ...tls,
      '--http-tls-ca',
      certs.ca.certFile,
    ],
    dir,
  );
  t.after(() => master.stop());
  assert.match(master.log(), /clients need a certificate from its authority/);
  const top = (...args: string[]) =>
    sluice(['top', '--once', master.base, '--ca', certs.ca.certFile, ...args], dir);
  const ok = top(...clientFlags(certs.client));
  assert.equal(ok.status, 0, `${ok.stderr}\n${master.log()}`);
  assert.match(ok.stdout, /\(fleet, version \d+\)/);
  const without = top();
  assert.equal(without.status, 1, without.stdout);
  assert.match(without.stderr, /client certificate.*--cert FILE --key FILE/);

  // Without the master's own certificate there is no TLS to ask for one: a configuration error.
  const plain = sluice(
    ['master', '--conf', conf, '--store', 'memory', '--http-port', '0', '--http-tls-ca', certs.ca.certFile],
    dir,
  );
  assert.notEqual(plain.status, 0);
  assert.match(
    plain.stderr,
    /client certificates on the master's web port .* need its TLS key and certificate/,
  );
});

test('--http-tls-ca needs the page TLS flags, and top --cert needs --key', async (t) => {
  const dir = tempDir('web-mtls-flags', t);
  const ca = join(dir, 'ca.pem');
  const node = sluice(
    ['node', '-1', '-e', 'a : null | null ;', '--http-port', '0', '--http-tls-ca', ca],
    dir,
  );
  assert.equal(node.status, 2, node.stderr);
  assert.match(node.stderr, /--http-tls-ca needs --http-tls-key and --http-tls-cert/);
  const unserved = sluice(['node', '-1', '-e', 'a : null | null ;', '--http-tls-ca', ca], dir);
  assert.equal(unserved.status, 2, unserved.stderr);
  assert.match(unserved.stderr, /--http-tls-ca needs --http or --http-port/);
  const top = sluice(['top', '--once', '127.0.0.1:1', '--cert', ca], dir);
  assert.equal(top.status, 2, top.stderr);
  assert.match(top.stderr, /--cert needs --key/);
});
