import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { waitFor } from '../../test/support/wait.js';
import { nodeSnapshot, StatusServer } from './server.js';

const snapshot = () =>
  nodeSnapshot({ node: 'n', runs: 'logical-nodes', reports: () => [], version: () => 1 });

function idleSockets(port: number, n: number): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => resolve(s));
          s.on('error', reject);
        }),
    ),
  );
}

test('300 clients that connect and send nothing do not lock the page out', async (t) => {
  const server = await StatusServer.start({ host: '127.0.0.1', port: 0, nextFree: false, snapshot });
  t.after(() => server.close());
  const idle = await idleSockets(server.port, 300);
  t.after(() => {
    for (const s of idle) s.destroy();
  });
  const res = await fetch(new URL('/api/report', server.url));
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { node: string }).node, 'n');
});

test('a silent connection is closed soon, so the connection limit frees itself', async (t) => {
  const server = await StatusServer.start({
    host: '127.0.0.1',
    port: 0,
    nextFree: false,
    snapshot,
    maxConnections: 8,
    firstRequestTimeoutMs: 300,
  });
  t.after(() => server.close());
  const idle = await idleSockets(server.port, 8);
  const closed = idle.map(() => false);
  for (const [i, s] of idle.entries())
    s.on('close', () => {
      closed[i] = true;
    });
  t.after(() => {
    for (const s of idle) s.destroy();
  });
  await waitFor(() => closed.every(Boolean), 'the server to close every silent connection', 30_000);
  const res = await fetch(new URL('/api/v1/health', server.url));
  assert.equal(res.status, 200);
});

test("a node's server answers GET and HEAD only, and reads no body", async (t) => {
  const server = await StatusServer.start({ host: '127.0.0.1', port: 0, nextFree: false, snapshot });
  t.after(() => server.close());
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const res = await fetch(new URL('/api/report', server.url), {
      method,
      headers: { 'content-type': 'application/json', 'x-sluice-request': '1' },
      body: '{}',
    });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  }
  const head = await fetch(server.url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
});
