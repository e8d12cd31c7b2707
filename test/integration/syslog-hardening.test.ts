// The syslog and netcat ports attacked as issue 13 found them, on loopback: a bogus octet count, idle,
// slow and surplus connections, a silent TLS client, a UDP flood of 32 KiB messages in front of a stalled
// flow, and datagrams that hold no message. Each test asserts what a user relies on: what is delivered,
// what is counted, what is logged (once), and how much memory is held.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { ComponentProperties } from '../../src/catalog/properties.js';
import { memoryLogger } from '../../src/core/logger.js';
import type { ConnectionLimits } from '../../src/rpc/connection-guard.js';
import { SYSLOG_PARSE_ERROR, SYSLOG_STATUS } from '../../src/rpc/syslog/parse.js';
import { type NetcatSource, netcatSource } from '../../src/sources/netcat.js';
import { SyslogTcpSource, SyslogUdpSource } from '../../src/sources/syslog.js';
import { certSet } from '../fixtures/tls-peers.js';
import { peerSkip } from '../support/peers.js';
import { bodies, pull, testContext } from '../support/source-helpers.js';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

/**
 * Polls `cond` every 10 ms until it holds or `ms` pass; returns whether it held. 30 s: a deadline
 * against a hang, not a speed bound.
 */
async function until(cond: () => boolean, ms = 30_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

const NO_LIMITS: ConnectionLimits = {
  maxConnections: 1024,
  idleTimeoutMs: 0,
  readTimeoutMs: 0,
  handshakeTimeoutMs: 0,
};

async function tcpSource(extra: Partial<ConstructorParameters<typeof SyslogTcpSource>[0]> = {}) {
  const logger = memoryLogger();
  const src = new SyslogTcpSource({ port: 0, bind: '127.0.0.1', logger, ...extra });
  cleanup.push(() => src.close());
  await src.open();
  return { src, logger };
}

/** A connected client socket (`closed` turns true once the server closed it). */
function client(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
    cleanup.push(() => {
      s.destroy();
    });
  });
}

const warnings = (lines: string[], re: RegExp) => lines.filter((l) => l.startsWith('WARN') && re.test(l));

describe('syslogTcp framing is never silent', () => {
  it('resynchronises after `999999999 ` at the next newline, delivers the 1,999 lines after it and logs the skip once', async () => {
    const { src, logger } = await tcpSource();
    const lines = Array.from({ length: 2000 }, (_, i) => `<13>line ${i}\n`).join('');
    const s = await client(src.port);
    s.write(`999999999 ${lines}`);
    const { events } = await pull(src, { want: 1999, timeoutMs: 10_000 });
    assert.equal(events.length, 1999);
    assert.equal(events[0]!.body.toString(), '<13>line 1');
    assert.equal(events[1998]!.body.toString(), '<13>line 1999');
    // The same mistake again from the same peer is counted, not logged again.
    s.end(`88888888 <13>again\n<13>last\n`);
    assert.deepEqual(bodies((await pull(src, { want: 1 })).events), ['<13>last']);
    assert.deepEqual(warnings(logger.lines, /octet count/), [
      'WARN syslogTcp: 127.0.0.1 sent an octet count of 999999999, above maxMessageSize 32768: skipped 21 bytes up to the next newline and resynchronised; further ones from 127.0.0.1 are only counted',
    ]);
    assert.equal(src.stats.resyncs, 2);
    assert.equal(src.stats.resyncBytes, 21 + 19);
  });

  it('cuts a line longer than maxMessageSize, counts the bytes dropped and logs once', async () => {
    const { src, logger } = await tcpSource({ maxMessageSize: 64 });
    const s = await client(src.port);
    s.end(`<13>${'x'.repeat(1000)}\n<13>${'y'.repeat(100)}\n<13>ok\n`);
    const { events } = await pull(src, { want: 3 });
    assert.deepEqual(
      events.map((e) => e.bodyLength),
      [64, 64, 6],
    );
    assert.equal(events[0]!.getAttrString(SYSLOG_STATUS), 'Incomplete');
    assert.equal(await until(() => src.stats.cut === 2), true);
    assert.equal(src.stats.cutBytes, 1004 - 64 + (104 - 64));
    assert.equal(warnings(logger.lines, /longer than maxMessageSize/).length, 1);
  });
});

describe('syslogTcp connection limits and timeouts', () => {
  it('closes an idle connection after idleTimeout and counts it', async () => {
    const { src, logger } = await tcpSource({ limits: { ...NO_LIMITS, idleTimeoutMs: 200 } });
    const s = await client(src.port);
    const t0 = Date.now();
    assert.equal(await until(() => s.closed), true, 'the idle connection was closed');
    assert.ok(Date.now() - t0 >= 190, `closed after ${Date.now() - t0} ms`);
    assert.equal(src.stats.connections.idleClosed, 1);
    assert.equal(warnings(logger.lines, /after 200 ms idle \(peer 127\.0\.0\.1\)/).length, 1);
  });

  it('closes a 1-byte-at-a-time client after readTimeout, and keeps one sending whole lines', async () => {
    const { src } = await tcpSource({ limits: { ...NO_LIMITS, readTimeoutMs: 300 } });
    const slow = await client(src.port);
    const steady = await client(src.port);
    const text = Buffer.from(`<13>${'s'.repeat(200)}`);
    let i = 0;
    let steadySent = 0;
    const drip = setInterval(() => {
      if (!slow.closed && i < text.length) slow.write(text.subarray(i, ++i));
      if (!steady.closed) {
        steady.write(`<13>steady ${i}\n`);
        steadySent++;
      }
    }, 40);
    try {
      assert.equal(await until(() => slow.closed), true, 'the slow client was closed');
      assert.ok(i < text.length, `closed after ${i} bytes`);
    } finally {
      clearInterval(drip);
    }
    assert.equal(steady.closed, false, 'a client completing its lines is not slow');
    assert.equal(src.stats.connections.slowReadClosed, 1);
    // Every steady line, and the slow client's partial one: counted, not read for a fixed 200 ms (how
    // many lines went out before the close depends on how late a loaded machine runs the timers).
    const got = bodies((await pull(src, { want: steadySent + 1 })).events);
    assert.ok(steadySent > 0);
    assert.equal(got.filter((b) => b.startsWith('<13>steady')).length, steadySent, got.join('\n'));
    // What the slow client had sent is kept as its last line, as for any connection that closes.
    const partial = got.filter((b) => !b.startsWith('<13>steady'));
    assert.equal(partial.length, 1);
    assert.ok(text.toString().startsWith(partial[0]!) && partial[0]!.length > 4);
  });

  it('refuses connections beyond maxConnections and serves the admitted ones', async () => {
    const { src, logger } = await tcpSource({ limits: { ...NO_LIMITS, maxConnections: 2 } });
    const a = await client(src.port);
    const b = await client(src.port);
    assert.equal(await until(() => src.stats.connections.open === 2), true);
    const c = await client(src.port);
    const d = await client(src.port);
    assert.equal(await until(() => c.closed && d.closed), true, 'over-limit connections are closed');
    a.end('<13>from a\n');
    b.end('<13>from b\n');
    assert.deepEqual(bodies((await pull(src, { want: 2 })).events).sort(), ['<13>from a', '<13>from b']);
    assert.equal(src.stats.connections.refusedOverLimit, 2);
    assert.equal(warnings(logger.lines, /maxConnections 2 reached/).length, 1, 'logged once per peer');
  });

  it('does not count a connection it holds back (full queue) as idle or slow', async () => {
    const { src } = await tcpSource({
      maxQueued: 50,
      limits: { ...NO_LIMITS, idleTimeoutMs: 150, readTimeoutMs: 150 },
    });
    const s = await client(src.port);
    const n = 20_000;
    s.write(Array.from({ length: n }, (_, i) => `<13>held ${i}`).join('\n'));
    // Nobody pulls for several timeouts while the socket is paused with a message half read.
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(s.closed, false, 'the held connection is still open');
    s.end('\n');
    const { events } = await pull(src, { want: n, timeoutMs: 10_000 });
    assert.equal(events.length, n);
    assert.equal(src.stats.connections.idleClosed + src.stats.connections.slowReadClosed, 0);
  });

  const certs = certSet();
  it('counts a TLS client against maxConnections from accept, and closes it after handshakeTimeout', {
    skip: peerSkip('openssl'),
  }, async () => {
    const { src, logger } = await tcpSource({
      tls: {
        ssl: true,
        keyFile: certs!.server.keyFile,
        certFile: certs!.server.certFile,
        caFile: undefined,
        trustAllCerts: false,
      },
      // 2 s: the surplus client must be refused while the silent one is still within its handshake
      // time, on a loaded machine too.
      limits: { ...NO_LIMITS, handshakeTimeoutMs: 2000, maxConnections: 1 },
    });
    const silent = await client(src.port);
    assert.equal(await until(() => src.stats.connections.open === 1), true);
    const surplus = await client(src.port);
    assert.equal(await until(() => surplus.closed), true, 'refused while the first one handshakes');
    assert.equal(silent.closed, false);
    assert.equal(await until(() => silent.closed), true, 'closed at handshakeTimeout');
    assert.equal(src.stats.connections.refusedOverLimit, 1);
    assert.equal(src.stats.connections.handshakeTimedOut, 1);
    assert.equal(warnings(logger.lines, /no handshake within 2000 ms/).length, 1);
    assert.equal(warnings(logger.lines, /maxConnections 1 reached/).length, 1);
    assert.equal(warnings(logger.lines, /TLS handshake with/).length, 0, 'one line per event, not two');
  });
});

describe('syslogUdp never loses a datagram silently', () => {
  async function udpSource(extra: Partial<ConstructorParameters<typeof SyslogUdpSource>[0]> = {}) {
    const logger = memoryLogger();
    const src = new SyslogUdpSource({ port: 0, bind: '127.0.0.1', logger, ...extra });
    cleanup.push(() => src.close());
    await src.open();
    return { src, logger };
  }

  function send(port: number, datagrams: Buffer[]): Promise<void> {
    const s = createSocket('udp4');
    return (async () => {
      for (const d of datagrams)
        await new Promise<void>((resolve, reject) =>
          s.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
        );
      s.close();
    })();
  }

  it('delivers a datagram of NULs raw, flagged invalid as Flume does, and counts an empty one', async () => {
    const { src, logger } = await udpSource();
    await send(src.port, [Buffer.alloc(64), Buffer.alloc(0), Buffer.from('<13>after\n')]);
    const { events } = await pull(src, { want: 2 });
    assert.equal(events.length, 2);
    assert.deepEqual(events[0]!.body, Buffer.alloc(64));
    assert.equal(
      events[0]!.getAttrString(SYSLOG_PARSE_ERROR),
      'datagram of 64 bytes holds only NUL, CR or LF bytes',
    );
    assert.equal(events[0]!.getAttrString(SYSLOG_STATUS), 'Invalid');
    assert.equal(events[1]!.body.toString(), '<13>after');
    assert.equal(await until(() => src.stats.droppedEmpty === 1), true);
    assert.equal(src.stats.invalid, 1);
    assert.equal(warnings(logger.lines, /dropped an empty datagram from 127\.0\.0\.1/).length, 1);
  });

  it('holds a flood of 32 KiB datagrams in front of a stalled flow to 64 MiB, counting what it drops', async () => {
    const { src, logger } = await udpSource();
    const rss0 = process.memoryUsage().rss;
    // A separate process floods as fast as it can until told to stop: nobody pulls from the source.
    const flood = `
      const s = require('node:dgram').createSocket('udp4');
      const m = Buffer.alloc(32768, 0x61); m.write('<13>flood ');
      const burst = () => { for (let k = 0; k < 64; k++) s.send(m, ${src.port}, '127.0.0.1'); setImmediate(burst); };
      burst();`;
    const sender: ChildProcess = spawn(process.execPath, ['-e', flood], { stdio: 'ignore' });
    cleanup.push(() => {
      sender.kill();
    });
    let peak = rss0;
    const sample = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      assert.equal(await until(() => src.stats.droppedQueueFull > 5000, 60_000), true, 'the queue filled');
    } finally {
      sender.kill();
      clearInterval(sample);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    assert.ok(src.queuedBytes <= 64 * 2 ** 20 + 33_000, `${src.queuedBytes} bytes queued`);
    // 64 MiB of messages plus the allocator's and collector's slack; without a byte bound it grew by GBs.
    assert.ok(peak - rss0 < 200 * 2 ** 20, `RSS grew by ${((peak - rss0) / 2 ** 20).toFixed(0)} MiB`);
    assert.equal(warnings(logger.lines, /queue full/).length, 1, 'a warning every 10 s, not per datagram');
    // The flow catches up: what was queued is delivered, and new datagrams are taken again.
    const { events } = await pull(src, { want: 1001 });
    assert.ok(events.length > 1000, `${events.length} queued events delivered`);
    await send(src.port, [Buffer.from('<13>after the flood')]);
    // On a loaded machine flood datagrams still in the socket's buffer may come first: pull until it shows.
    const deadline = Date.now() + 20_000;
    let seen = false;
    while (!seen && Date.now() < deadline)
      seen = bodies((await pull(src, { timeoutMs: 500 })).events).includes('<13>after the flood');
    assert.ok(seen, 'the datagram sent after the flood is delivered');
  });
});

describe('netcat connection limits and line bounds', () => {
  async function netcat(p: Record<string, string>) {
    const ctx = testContext();
    const props = new ComponentProperties('source r1', netcatSource.properties, {
      bind: '127.0.0.1',
      port: '0',
      ...p,
    });
    const src = netcatSource.create(props, ctx) as NetcatSource;
    cleanup.push(() => src.close());
    await src.open();
    return { src, lines: ctx.logger.lines };
  }

  it('refuses connections over max-connections, closes a slow one at read-timeout, counts cut lines', async () => {
    const { src, lines } = await netcat({
      'max-connections': '2',
      'read-timeout': '300',
      'max-line-length': '10',
      'ack-every-event': 'false',
    });
    const port = src.address.port;
    assert.deepEqual(
      lines.filter((l) => l.includes('listening')),
      [`INFO source r1: listening on 127.0.0.1:${port}`],
    );
    const slow = await client(port);
    const ok = await client(port);
    assert.equal(await until(() => src.stats.connections.open === 2), true);
    const third = await client(port);
    assert.equal(await until(() => third.closed), true, 'the third connection is refused');
    slow.write('no newline yet');
    ok.write(`short\n${'z'.repeat(50)}\n`);
    assert.equal(await until(() => slow.closed), true, 'the slow client is closed');
    assert.equal(ok.closed, false);
    assert.deepEqual(bodies((await pull(src, { want: 2 })).events), ['short', 'zzzzzzzzzz']);
    assert.deepEqual(
      { ...src.stats, connections: undefined },
      { connections: undefined, tlsFailed: 0, cut: 1, cutBytes: 40 },
    );
    assert.equal(src.stats.connections.refusedOverLimit, 1);
    assert.equal(src.stats.connections.slowReadClosed, 1);
    assert.equal(warnings(lines, /source r1: a line from 127\.0\.0\.1 of 50 bytes was cut/).length, 1);
  });
});
