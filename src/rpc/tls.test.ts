import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { certSet } from '../../test/fixtures/tls-peers.js';
import { peerSkip } from '../../test/support/peers.js';
import type { TlsOptions } from './avro/server.js';
import { connectSocket, isCertificateError, refuseSelfConnection, socketServer } from './tls.js';

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

test('a connection that reached itself (simultaneous open on a free port) is refused and frees the port', async () => {
  // Binding the source port to the destination makes the self-connection certain instead of rare.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: port });
  refuseSelfConnection(socket, `127.0.0.1:${port}`);
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve));
  assert.equal(err.code, 'ECONNREFUSED');
  assert.match(err.message, /reached itself/);
  // The port is free again: the server meant to listen there can.
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise<void>((r) => server.close(() => r()));
});
