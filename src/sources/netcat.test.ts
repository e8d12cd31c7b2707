import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { certSet, plainRefused, tlsExchange } from '../../test/fixtures/tls-peers.js';
import { peerSkip } from '../../test/support/peers.js';
import { bodies, pull, testContext } from '../../test/support/source-helpers.js';
import { ComponentProperties } from '../catalog/properties.js';
import { takeAck } from '../core/ack.js';
import { SluiceError } from '../core/errors.js';
import { type NetcatSource, netcatSource } from './netcat.js';

const open: NetcatSource[] = [];
after(async () => {
  for (const s of open) await s.close();
});

async function start(p: Record<string, string>, ctx = testContext()): Promise<NetcatSource> {
  const props = new ComponentProperties('source r1', netcatSource.properties, {
    bind: '127.0.0.1',
    port: '0',
    ...p,
  });
  const src = netcatSource.create(props, ctx) as NetcatSource;
  open.push(src);
  await src.open();
  return src;
}

/** Plain TCP: sends, half-closes, resolves with the answer once the server's side ends. */
function plainExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const s = net.connect({ host: '127.0.0.1', port }, () => s.end(data));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5000);
    s.on('data', (d: Buffer) => {
      answer += d.toString();
      // The source never closes its side: the last OK is the end of the exchange.
      if (answer.split('OK\n').length - 1 >= data.split('\n').length - 1) {
        clearTimeout(timer);
        s.destroy();
        resolve(answer);
      }
    });
    s.on('error', reject);
  });
}

test('plain netcat: one event per line, an OK per line once delivered, long lines cut', async () => {
  const src = await start({ 'max-line-length': '8' });
  const answer = plainExchange(src.address.port, 'one\r\ntwo\nthree is long\n');
  // pull acks what it takes, as a runner whose put committed: the OKs follow.
  assert.deepEqual(bodies((await pull(src, { want: 3 })).events), ['one', 'two', 'three is']);
  assert.equal(await answer, 'OK\nOK\nOK\n');
});

test('netcat answers OK only after the ack, and FAILED with the reason for the lines of a failed batch', async () => {
  const src = await start({});
  const s = net.connect({ host: '127.0.0.1', port: src.address.port });
  let answer = '';
  s.on('data', (d: Buffer) => {
    answer += d.toString();
  });
  s.write('a\nb\n');
  const first = (await src.next())!;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(answer, '', 'nothing answered before the ack');
  takeAck(first)!.fail(new SluiceError('SLUICE_CHANNEL_FULL', 'channel c1 is full'));
  s.write('c\n');
  const second = (await src.next())!;
  takeAck(second)!.ok();
  const deadline = Date.now() + 30_000;
  while (answer.split('\n').length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  s.destroy();
  assert.deepEqual(bodies(first), ['a', 'b']);
  assert.equal(answer, 'FAILED: channel c1 is full\nFAILED: channel c1 is full\nOK\n');
});

const certs = certSet();
const skip = peerSkip('openssl');

test('netcat over TLS: lines and OKs inside TLS; plain-text and untrusting clients fail, the port serves on', {
  skip,
}, async () => {
  const ctx = testContext();
  const src = await start(
    { ssl: 'true', 'ssl-key': certs!.server.keyFile, 'ssl-cert': certs!.server.certFile },
    ctx,
  );
  const port = src.address.port;
  assert.equal(await plainRefused(port, 'plain line\n'), 'closed');
  await assert.rejects(tlsExchange(port, 'x\n', { ca: certs!.other.cert }), {
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    message: 'self-signed certificate',
  });
  // tlsExchange waits for the server to close; netcat never does, so close with the source afterwards.
  const answer = tlsExchange(port, 'secret 1\nsecret 2\n', { ca: certs!.server.cert, timeoutMs: 3000 });
  const got = await pull(src, { want: 2 });
  assert.deepEqual(bodies(got.events), ['secret 1', 'secret 2']);
  await src.close();
  assert.equal((await answer).toString(), 'OK\nOK\n');
  // The plain-text client fails the server's handshake; the untrusting one is the client's own refusal.
  assert.ok(
    ctx.logger.lines.some((l) => /^WARN source r1: TLS handshake with 127\.0\.0\.1 failed: /.test(l)),
    ctx.logger.lines.join('\n'),
  );
});

test('netcat with ssl-ca refuses clients without a certificate it signed', { skip }, async () => {
  const { server, client } = certs!;
  const src = await start({
    ssl: 'true',
    keystore: certs!.keystore,
    'ssl-ca': client.certFile,
    'ack-every-event': 'false',
  });
  const port = src.address.port;
  await tlsExchange(port, 'anonymous\n', { ca: server.cert, timeoutMs: 2000 }).catch(() => undefined);
  const known = tlsExchange(port, 'known\n', { ca: server.cert, key: client.key, cert: client.cert });
  const got = await pull(src, { want: 2, timeoutMs: 1000 });
  assert.deepEqual(bodies(got.events), ['known']);
  await src.close();
  await known;
});

test('netcat TLS problems are reported with the key or file named', { skip }, async () => {
  await assert.rejects(start({ ssl: 'true' }), {
    code: 'SLUICE_CONFIG',
    message: 'source r1: ssl = true needs keystore (PEM key and certificate) or ssl-key and ssl-cert',
  });
  const props = new ComponentProperties('source r1', netcatSource.properties, {
    bind: '127.0.0.1',
    port: '0',
    ssl: 'true',
    keystore: '/nonexistent/ks.pem',
  });
  const src = netcatSource.create(props, testContext()) as NetcatSource;
  await assert.rejects(src.open(), (e: unknown) => {
    assert.ok(e instanceof SluiceError);
    assert.equal(e.place?.component, 'source r1');
    assert.equal(e.place?.field, 'keyFile');
    assert.match(e.message, /cannot read \/nonexistent\/ks\.pem/);
    return true;
  });
  await src.close();
});
