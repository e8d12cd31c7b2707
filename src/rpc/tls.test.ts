import assert from 'node:assert/strict';
import type net from 'node:net';
import { test } from 'node:test';
import { certSet } from '../../test/fixtures/tls-peers.js';
import { peerSkip } from '../../test/support/peers.js';
import { ComponentProperties } from '../catalog/properties.js';
import { BoundArgs } from '../catalog/types.js';
import { NG_SERVER_TLS_PROPERTIES, readNgServerTls, readTlsArgs } from '../components/options/tls.js';
import { memoryLogger } from '../core/logger.js';
import type { TlsOptions } from './avro/server.js';
import { connectSocket, isCertificateError, socketServer } from './tls.js';

test('readTlsArgs: a file named implies ssl; a client needs no key, a server does', () => {
  const args = (a: Record<string, string | boolean>) => BoundArgs.of('syslogTcp', a);
  assert.deepEqual(readTlsArgs(args({}), 'client'), {
    ssl: false,
    keyFile: undefined,
    certFile: undefined,
    caFile: undefined,
    trustAllCerts: false,
  });
  assert.equal(readTlsArgs(args({ caFile: 'ca.pem' }), 'client').ssl, true);
  assert.equal(readTlsArgs(args({ ssl: true }), 'client').ssl, true);
  assert.throws(() => readTlsArgs(args({ caFile: 'ca.pem' }), 'server'), {
    message: 'ssl needs keyFile and certFile on a listening port',
  });
  assert.throws(
    () => readTlsArgs(args({ certFile: 'c.pem' }), 'client'),
    (e: unknown) => {
      assert.equal((e as { place?: { field?: string } }).place?.field, 'keyFile');
      return true;
    },
  );
});

test('readNgServerTls: keys without ssl = true are ignored with a warning; ssl-key/ssl-cert work like keystore', () => {
  const logger = memoryLogger();
  const read = (p: Record<string, string>) =>
    readNgServerTls(new ComponentProperties('source r1', NG_SERVER_TLS_PROPERTIES, p), logger);
  assert.equal(read({ keystore: 'ks.pem' }).ssl, false);
  assert.deepEqual(logger.lines, [
    'WARN source r1: keystore, ssl-key, ssl-cert and ssl-ca have no effect without ssl = true',
  ]);
  const t = read({ ssl: 'true', 'ssl-key': 'k.pem', 'ssl-cert': 'c.pem', 'ssl-ca': 'ca.pem' });
  assert.deepEqual([t.ssl, t.keyFile, t.certFile, t.caFile], [true, 'k.pem', 'c.pem', 'ca.pem']);
  assert.throws(() => read({ ssl: 'true', keystore: 'ks.pem', 'ssl-key': 'k.pem' }), {
    message: 'source r1: give either keystore or ssl-key and ssl-cert, not both',
  });
});

async function listen(t: TlsOptions, refused: string[]): Promise<{ server: net.Server; port: number }> {
  const server = socketServer(
    t,
    (s) => s.end('hello\n'),
    (_peer, reason) => refused.push(reason),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as net.AddressInfo).port };
}

function connectOnce(port: number, t: TlsOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const { socket, ready } = connectSocket('127.0.0.1', port, t);
    let text = '';
    const timer = setTimeout(() => socket.destroy(new Error('timed out')), 5000);
    socket.once(ready, () => socket.on('data', (d: Buffer) => (text += d)));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

const certs = certSet();

test('socketServer and connectSocket: a trusted server talks; an untrusted one is a certificate error', {
  skip: peerSkip('openssl'),
}, async () => {
  const c = certs!;
  const refused: string[] = [];
  const { server, port } = await listen({ key: c.server.key, cert: c.server.cert }, refused);
  try {
    assert.equal(await connectOnce(port, { ca: c.server.cert }), 'hello\n');
    const err = await connectOnce(port, { ca: c.other.cert }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error, 'the untrusted server is refused');
    assert.equal(isCertificateError(err), true, String(err));
    // Connection trouble is not a certificate problem: retrying may help there.
    assert.equal(isCertificateError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), false);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
