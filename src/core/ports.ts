import { createServer } from 'node:net';

/**
 * A TCP port free on `host` right now (the kernel picks it), for tests, benchmarks and the demo. Another
 * process may take it before it is used; callers on loopback accept that small window.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, resolve);
  });
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
