// The web port over HTTPS and with a read token: a StatusServer on loopback with a certificate openssl
// makes at test time, read the way Prometheus, a load balancer and a browser read it.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { authority, issue, selfSigned } from '../../test/fixtures/tls.js';
import { peerSkip } from '../../test/support/peers.js';
import { waitFor } from '../../test/support/wait.js';
import { memoryLogger } from '../core/logger.js';
import { fetchSnapshot, nodeSnapshot, StatusServer, type StatusServerOptions } from './server.js';

const snapshot = () =>
  nodeSnapshot({ node: 'n', runs: 'logical-nodes', reports: () => [], version: () => 1 });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One GET, over HTTPS trusting `ca` when given; `token` as a Bearer header. */
function get(url: string, opts: { ca?: Buffer; token?: string; header?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.header !== undefined) headers.authorization = opts.header;
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req =
      u.protocol === 'https:'
        ? httpsRequest(u, { ca: opts.ca, headers, timeout: 30_000 })
        : httpRequest(u, { headers, timeout: 30_000 });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end();
  });
}

async function start(
  t: { after(fn: () => unknown): void },
  more: Partial<StatusServerOptions>,
): Promise<StatusServer> {
  const server = await StatusServer.start({ host: '127.0.0.1', port: 0, nextFree: false, snapshot, ...more });
  t.after(() => server.close());
  return server;
}

test('with a certificate the page speaks HTTPS only', { skip: peerSkip('openssl') }, async (t) => {
  const cert = selfSigned();
  assert.ok(cert, 'openssl made a certificate');
  const server = await start(t, { tls: { key: cert.key, cert: cert.cert } });
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  const page = await get(server.url, { ca: cert.cert });
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>Sluice node<\/title>/);
  const metrics = await get(new URL('/metrics', server.url).href, { ca: cert.cert });
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /^# HELP /m);
  // A plain-HTTP request to the HTTPS port gets no answer.
  await assert.rejects(get(server.url.replace('https:', 'http:')));
  // A client that does not trust the certificate refuses it.
  await assert.rejects(get(server.url), /self-signed|self signed/i);
  const s = await fetchSnapshot(server.url, { ca: cert.cert });
  assert.equal(s.node, 'n');
  await assert.rejects(fetchSnapshot(server.url), /--ca FILE/);
});

test('with a token every read of data needs it; the page and the verdict of health do not', async (t) => {
  const server = await start(t, { token: 's3cret' });
  const at = (path: string) => new URL(path, server.url).href;
  for (const path of ['/metrics', '/api/report', '/api/anything']) {
    const none = await get(at(path));
    assert.equal(none.status, 401, path);
    assert.match(String(none.headers['www-authenticate']), /^Bearer /);
    assert.doesNotMatch(none.body, /pipelines|HELP/);
    assert.equal((await get(at(path), { token: 'wrong' })).status, 401, path);
    assert.equal((await get(at(path), { token: 's3cret0' })).status, 401, path);
    assert.equal((await get(at(path), { header: 's3cret' })).status, 401, `${path} without Bearer`);
  }
  assert.equal((await get(at('/metrics'), { token: 's3cret' })).status, 200);
  assert.equal(JSON.parse((await get(at('/api/report'), { token: 's3cret' })).body).node, 'n');
  // The page loads without the token, so it can ask for it.
  const page = await get(server.url);
  assert.equal(page.status, 200);
  assert.match(page.body, /<label for="token">Token<\/label>/);
  // Health: the verdict for anyone, the reasons with the token.
  const open = await get(at('/api/v1/health'));
  assert.equal(open.status, 200);
  assert.deepEqual(JSON.parse(open.body), { status: 'ok' });
  const full = JSON.parse((await get(at('/api/v1/health'), { token: 's3cret' })).body);
  assert.equal(full.status, 'ok');
  assert.ok(Object.keys(full).length > 1, JSON.stringify(full));
  await assert.rejects(fetchSnapshot(server.url), /answered 401 to \/api\/report \(it wants a token/);
  assert.equal((await fetchSnapshot(server.url, { token: 's3cret' })).node, 'n');
});

test('static pages and assets a master declares load without the token; its other routes need it', async (t) => {
  const html = () => ({ status: 200, type: 'text/html; charset=utf-8', body: '<p>page</p>' });
  const data = () => ({ status: 200, type: 'application/json', body: '{"secret":1}' });
  const server = await start(t, {
    token: 'tok',
    routes: new Map([
      ['/components', html],
      ['/assets/x.js', html],
      ['/api/master', data],
    ]),
    pages: new Set(['/components']),
  });
  const at = (path: string) => new URL(path, server.url).href;
  assert.equal((await get(at('/components'))).status, 200);
  assert.equal((await get(at('/assets/x.js'))).status, 200);
  assert.equal((await get(at('/api/master'))).status, 401);
  assert.equal((await get(at('/api/master'), { token: 'tok' })).body, '{"secret":1}');
});

// Without the shorter bound a client silent before its handshake would be held for TLS's default 120 s,
// past this test's timeout.
test('over HTTPS a silent connection is closed soon, before or after its handshake', {
  skip: peerSkip('openssl'),
  timeout: 60_000,
}, async (t) => {
  const cert = selfSigned();
  assert.ok(cert, 'openssl made a certificate');
  const server = await start(t, { tls: { key: cert.key, cert: cert.cert }, firstRequestTimeoutMs: 300 });
  const closed = (s: Socket) => new Promise<void>((resolve) => s.once('close', () => resolve()));
  const raw = connect(server.port, '127.0.0.1');
  t.after(() => raw.destroy());
  const shaken = tlsConnect({ port: server.port, host: '127.0.0.1', ca: cert.cert });
  t.after(() => shaken.destroy());
  await new Promise<void>((resolve, reject) => {
    shaken.once('secureConnect', resolve);
    shaken.once('error', reject);
  });
  shaken.on('error', () => {});
  await Promise.all([closed(raw), closed(shaken)]);
});

test('with a client authority only its certificates get an answer; each refusal is logged once', {
  skip: peerSkip('openssl'),
}, async (t) => {
  const ca = authority();
  const other = authority('another authority');
  assert.ok(ca && other, 'openssl made the authorities');
  const server = issue(ca, 'page', 'server');
  const client = issue(ca, 'reader', 'client');
  const stranger = issue(other, 'stranger', 'client');
  assert.ok(server && client && stranger, 'openssl signed the certificates');
  const logger = memoryLogger();
  const page = await start(t, { tls: { key: server.key, cert: server.cert, ca: ca.cert }, logger });
  const good = { ca: ca.cert, cert: client.cert, key: client.key };
  assert.equal((await fetchSnapshot(page.url, good)).node, 'n');
  for (let i = 0; i < 2; i++) {
    await assert.rejects(fetchSnapshot(page.url, { ca: ca.cert }), /give one with --cert FILE --key FILE/);
    await assert.rejects(
      fetchSnapshot(page.url, { ca: ca.cert, cert: stranger.cert, key: stranger.key }),
      /it may refuse the client certificate/,
    );
  }
  await waitFor(
    () => logger.lines.length >= 2,
    () => `two refusals logged: ${logger.lines.join('\n')}`,
  );
  const refusals = logger.lines.filter((l) => /refused 127\.0\.0\.1 at the TLS handshake/.test(l));
  assert.equal(refusals.length, 2, logger.lines.join('\n'));
  assert.match(refusals.join('\n'), /peer did not return a certificate/);
  assert.match(
    refusals.join('\n'),
    /its client certificate failed verification \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
  );
  // The reader's certificate still works after the refusals.
  assert.equal((await fetchSnapshot(page.url, good)).node, 'n');
});
