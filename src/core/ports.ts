import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel's ephemeral range (the source ports of outgoing connections). Linux's default when it
 * cannot be read.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!) return [low!, high!];
  } catch {
    // not Linux, or /proc not mounted
  }
  return [32768, 60999];
}

function tryListen(port: number, host: string): Promise<number | undefined> {
  const s = createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(undefined));
    s.listen(port, host, () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
}

/**
 * A TCP port free on `host` right now, for tests, benchmarks and the demo. Another process may take it
 * before it is used; callers on loopback accept that small window.
 *
 * It is picked below the ephemeral range when there is room: a port in that range can become the
 * source port of any outgoing connection on the machine (a test suite opens thousands) in the time
 * between the pick and the listen, or of a client connecting to that very port, which then connects to
 * itself. Either makes the later listen fail with EADDRINUSE.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  if (low - floor >= 1000)
    for (let i = 0; i < 64; i++) {
      const port = floor + Math.floor(Math.random() * (low - floor));
      if (handedOut.includes(port)) continue;
      if ((await tryListen(port, host)) !== undefined) return remember(port);
    }
  const got = await tryListen(0, host);
  if (got === undefined) throw new Error(`no free TCP port on ${host}`);
  return remember(got);
}

/** The last ports handed out: a caller asking twice before it listens gets two different ports. */
const handedOut: number[] = [];

function remember(port: number): number {
  handedOut.push(port);
  if (handedOut.length > 256) handedOut.shift();
  return port;
}
