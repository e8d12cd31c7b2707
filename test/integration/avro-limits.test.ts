// The attacks of issue 13 on an Avro port, on loopback, against collectorSource as users configure it:
// frames of millions of tiny buffers, a flood of 1 MiB events into a slow node, idle, slow and
// handshake-less connections, more connections than allowed, half-sent large frames, a large first
// frame without the token. Each asserts what the server holds or does, not how.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ComponentProperties } from '../../src/catalog/properties.js';
import { BoundArgs } from '../../src/catalog/types.js';
import { memoryChannel } from '../../src/channels/memory.js';
import { takeAck } from '../../src/core/ack.js';
import { ByteWriter } from '../../src/core/byte-writer.js';
import { SiteConfig } from '../../src/core/config.js';
import { type Batch, Event } from '../../src/core/event.js';
import { replicateTo } from '../../src/flow/agent/selectors.js';
import { SourceRunner } from '../../src/flow/agent/source-runner.js';
import { FlumeRpcClient } from '../../src/rpc/avro/flume-protocol.js';
import { encodeFrame } from '../../src/rpc/avro/frame.js';
import { HandshakeRequestor } from '../../src/rpc/avro/handshake.js';
import { requestHead } from '../../src/rpc/avro/message.js';
import { avroSourceProtocol, Status } from '../../src/rpc/avro/protocols.js';
import { type AvroEventSource, collectorSource } from '../../src/sources/avro.js';
import { ngAvroSource } from '../../src/sources/avro-ng.js';
import { selfSigned } from '../fixtures/tls.js';
import { testContext } from '../mocks/sinks.js';
import { peerSkip } from '../support/peers.js';

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

const MiB = 1024 * 1024;

async function collector(args: Record<string, string | number | boolean> = {}) {
  const ctx = testContext({ config: SiteConfig.defaults(), nodeName: 'c' });
  const src = collectorSource.build(
    BoundArgs.of('collectorSource', { port: 0, ...args }),
    ctx,
  ) as AvroEventSource;
  await src.open();
  cleanup.push(() => src.close());
  // The server behind the source, for what it holds (test-only access).
  const server = (src as unknown as { server: import('../../src/rpc/avro/server.js').AvroServer }).server;
  return { src, server, logger: ctx.logger };
}

/** Takes the next batch as a node that delivered it: its sender is answered OK. */
async function deliver(src: AvroEventSource): Promise<void> {
  const b = await src.next();
  assert.ok(b !== null);
  takeAck(b)!.ok();
}

async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !f(); ) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
    s.on('error', () => {});
    cleanup.push(() => void s.destroy());
  });
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
}

/** appendBatch parameters for one event of `body` with no headers. */
function oneEvent(body: Buffer): Buffer {
  const w = new ByteWriter(body.length + 16);
  w.long(1);
  w.long(0);
  w.bytes(body);
  w.long(0);
  return Buffer.from(w.finish());
}

const handshake = (token?: string) => new HandshakeRequestor(avroSourceProtocol, { token }).request(false);

/** A connection past its handshake (a ping), answered. */
async function handshaken(port: number): Promise<net.Socket> {
  const s = await connect(port);
  const answered = new Promise((r) => s.once('data', r));
  s.write(encodeFrame(1, [handshake(), requestHead('')]));
  await answered;
  return s;
}

test('16 million one-byte buffers: refused at the header, before and after the handshake, RSS barely moves', async () => {
  const { server, logger } = await collector();
  const rss0 = process.memoryUsage().rss;
  const header = Buffer.alloc(8);
  header.writeInt32BE(7, 0);
  header.writeInt32BE(16_000_000, 4);
  const oneByteBuffers = Buffer.alloc(5 * 65536);
  for (let i = 0; i < 65536; i++) oneByteBuffers.writeInt32BE(1, i * 5);
  for (const s of [await connect(server.port), await handshaken(server.port)]) {
    s.write(header);
    // What the attacker streams next never gets buffered: the header alone closed the connection.
    for (let i = 0; i < 16 && !s.destroyed; i++) s.write(oneByteBuffers);
    await closed(s);
  }
  const grown = process.memoryUsage().rss - rss0;
  assert.ok(grown < 100 * MiB, `RSS grew ${(grown / MiB).toFixed(1)} MiB (bound 100 MiB)`);
  assert.equal(logger.lines.filter((l) => /16000000 buffers exceed the limit/.test(l)).length, 2);
  assert.equal(server.heldBytes, 0);
});

test('a flood of 1 MiB events into a slow node: reads stop, RSS stays bounded, nothing is refused', {
  timeout: 60_000,
}, async () => {
  const { src, server } = await collector();
  const s = await connect(server.port);
  const body = oneEvent(Buffer.alloc(MiB, 0x61));
  let oks = 0;
  s.on('data', (c: Buffer) => {
    // Each answer is a small frame; counting them roughly is enough to see the server keeps answering.
    oks += c.length > 0 ? 1 : 0;
  });
  const first = encodeFrame(1, [handshake(), requestHead('appendBatch'), body]);
  const next = encodeFrame(2, [requestHead('appendBatch'), body]);
  let sent = 0;
  let stop = false;
  const write = () => {
    while (!stop) {
      // One frame written again and again: the sender's own memory stays out of the measure.
      const frame = sent === 0 ? first : next;
      sent++;
      if (!s.write(frame)) {
        s.once('drain', write);
        return;
      }
    }
  };
  const rss0 = process.memoryUsage().rss;
  let peak = 0;
  let peakQueued = 0;
  write();
  // The node takes one 1 MiB event every 40 ms (25 MiB/s) for 4 s while the sender pushes as fast as it can.
  // A loaded machine stretches the 40 ms steps: it goes on past 4 s until 20 events were taken (30 s at most).
  const end = Date.now() + 4000;
  const latest = Date.now() + 30_000;
  let taken = 0;
  // Delivered: the source answers OK now, and the connection reads on (docs/acks.md).
  const took = (b: Batch | null) => {
    if (b === null) return;
    takeAck(b)?.ok();
    taken += b.length;
  };
  // A next() that found the queue empty (the server reads slower than the node takes, as on a loaded
  // machine) is waited for: dropped, the batch it hands out would never be acked, and the connection,
  // which answers in order, would stall behind it.
  let waiting = false;
  while ((Date.now() < end || taken <= 20) && Date.now() < latest) {
    await new Promise((r) => setTimeout(r, 40));
    if (!waiting) {
      const b = src.next();
      if (b instanceof Promise) {
        waiting = true;
        void b.then((got) => {
          waiting = false;
          took(got);
        });
      } else took(b);
    }
    peak = Math.max(peak, process.memoryUsage().rss - rss0);
    peakQueued = Math.max(peakQueued, src.bytes + server.heldBytes);
  }
  stop = true;
  s.destroy();
  assert.ok(taken > 20, `the node kept receiving (${taken} events)`);
  assert.ok(sent > taken, 'the sender was faster than the node');
  // Queue (queueBytes 64 MiB) + read-ahead (4 MiB) + one frame being received + one waiting batch.
  assert.ok(peakQueued <= 64 * MiB + 4 * MiB + 3 * MiB, `held ${(peakQueued / MiB).toFixed(1)} MiB`);
  assert.ok(peak < 250 * MiB, `RSS grew ${(peak / MiB).toFixed(1)} MiB (bound 250 MiB)`);
  assert.ok(oks > 0);
  console.log(
    `# flood: sent ${sent} MiB, taken ${taken}, peak held ${(peakQueued / MiB).toFixed(1)} MiB, peak RSS growth ${(peak / MiB).toFixed(1)} MiB`,
  );
});

test('idle, slow (1 byte per 100 ms) and handshake-less connections are closed after their timeouts, logged once per peer', {
  timeout: 60_000,
}, async () => {
  // Timeouts well apart and far above the dribble period: a loaded machine may delay a timer by 400 ms.
  const { server, logger } = await collector({ idleTimeout: 1000, readTimeout: 1600, handshakeTimeout: 0 });
  // Measured from before the first byte either connection sends: the server's timers start later than
  // this, so the lower bounds hold however long the handshakes take on a loaded machine.
  const t0 = Date.now();
  const idle = await handshaken(server.port);
  const slow = await handshaken(server.port);
  const frame = encodeFrame(2, [requestHead('appendBatch'), oneEvent(Buffer.from('x'))]);
  let i = 0;
  const dribble = setInterval(() => {
    if (i < frame.length - 1 && !slow.destroyed) slow.write(frame.subarray(i, ++i));
  }, 100);
  cleanup.push(() => clearInterval(dribble));
  await closed(idle);
  const idleAfter = Date.now() - t0;
  await closed(slow);
  const slowAfter = Date.now() - t0;
  clearInterval(dribble);
  // The upper bounds only prove the timeouts fire at all: a loaded machine may run them many times late.
  assert.ok(idleAfter >= 900 && idleAfter < 20_000, `idle closed after ${idleAfter} ms`);
  assert.ok(slowAfter >= 1500 && slowAfter < 20_000, `slow closed after ${slowAfter} ms though never idle`);
  assert.equal(server.connectionStats.idleClosed, 1);
  assert.equal(server.connectionStats.slowReadClosed, 1);
  assert.equal(logger.lines.filter((l) => /ms idle/.test(l)).length, 1);

  const guarded = await collector({ handshakeTimeout: 300 });
  const mute = await connect(guarded.server.port);
  const again = await connect(guarded.server.port);
  await Promise.all([closed(mute), closed(again)]);
  assert.equal(guarded.server.connectionStats.handshakeTimedOut, 2);
  assert.equal(
    guarded.logger.lines.filter((l) => /no handshake within 300 ms/.test(l)).length,
    1,
    'once per peer',
  );
});

test('a TLS client that never finishes its TLS handshake is closed by the handshake timeout', {
  skip: peerSkip('openssl'),
}, async () => {
  const cert = selfSigned();
  assert.ok(cert, 'openssl made a certificate');
  cleanup.push(() => fs.rmSync(cert.dir, { recursive: true, force: true }));
  // 2 s, not less: the real TLS client below must finish its handshakes within it on a loaded machine.
  const { src, server } = await collector({
    handshakeTimeout: 2000,
    keyFile: cert.keyFile,
    certFile: cert.certFile,
  });
  const s = await connect(server.port); // plain TCP: the TLS handshake never starts
  await closed(s);
  assert.equal(server.connectionStats.handshakeTimedOut, 1);
  // A real TLS client is served.
  const c = new FlumeRpcClient({
    host: '127.0.0.1',
    port: server.port,
    tls: { ca: cert.cert, servername: 'localhost' },
  });
  cleanup.push(() => c.close());
  const answer = c.appendBatch([Event.of('over tls')]);
  await deliver(src);
  assert.equal(await answer, Status.OK);
});

test('connections over maxConnections are refused at accept, counted and logged once', async () => {
  const { server, logger } = await collector({ maxConnections: 2 });
  const a = await handshaken(server.port);
  const b = await handshaken(server.port);
  const c = await connect(server.port);
  const d = await connect(server.port);
  await Promise.all([closed(c), closed(d)]);
  assert.equal(a.destroyed || b.destroyed, false);
  assert.equal(server.connectionStats.refusedOverLimit, 2);
  assert.equal(logger.lines.filter((l) => /maxConnections 2 reached/.test(l)).length, 1);
});

test('half-sent large frames are released when their connections close', { timeout: 120_000 }, async () => {
  const { server } = await collector();
  const half = 30 * MiB;
  const frame = encodeFrame(2, [requestHead('appendBatch'), oneEvent(Buffer.alloc(2 * half, 0x62))]);
  const peers = [];
  for (let i = 0; i < 4; i++) {
    const s = await handshaken(server.port);
    s.write(frame.subarray(0, half));
    peers.push(s);
  }
  await until(() => server.heldBytes >= 4 * (half - MiB), 30_000, 'the half frames arrive');
  for (const s of peers) s.destroy();
  await until(() => server.connectionCount === 0, 30_000, 'the connections close');
  assert.equal(server.heldBytes, 0);
});

test('before the handshake: a large first frame needs an acceptable handshake at its head', async () => {
  const { src, server, logger } = await collector({ token: 'secret' });
  const big = oneEvent(Buffer.alloc(4 * MiB, 0x63));
  const noToken = await connect(server.port);
  noToken.write(encodeFrame(1, [handshake(), requestHead('appendBatch'), big]));
  await closed(noToken);
  assert.ok(
    logger.lines.some((l) => /before the handshake refused: no sluice.token given/.test(l)),
    logger.lines.join('\n'),
  );
  // With the token, the same first frame (Java's and Sluice's clients send their first batch with the
  // handshake) is read whole and answered.
  const c = new FlumeRpcClient({ host: '127.0.0.1', port: server.port, token: 'secret' });
  cleanup.push(() => c.close());
  const answer = c.appendBatch([Event.of(Buffer.alloc(4 * MiB, 0x64))]);
  await deliver(src);
  assert.equal(await answer, Status.OK);
  const wrong = new FlumeRpcClient({ host: '127.0.0.1', port: server.port, token: 'guess' });
  cleanup.push(() => wrong.close());
  await assert.rejects(wrong.appendBatch([Event.of('x')]), /wrong sluice.token/);
});

test('70,000 requests on one connection are all acknowledged', { timeout: 180_000 }, async () => {
  const { src, server } = await collector();
  const c = new FlumeRpcClient({ host: '127.0.0.1', port: server.port, maxInFlight: 64 });
  cleanup.push(() => c.close());
  let taken = 0;
  let draining = true;
  const drain = (async () => {
    while (draining) {
      const b = await src.next();
      if (b === null) return;
      takeAck(b)?.ok();
      taken += b.length;
    }
  })();
  const answers: Promise<number>[] = [];
  const one = [Event.of('e')];
  let ok = 0;
  for (let i = 0; i < 70_000; i++) {
    answers.push(c.appendBatch(one));
    if (answers.length === 1000) {
      for (const s of await Promise.all(answers.splice(0))) ok += s === Status.OK ? 1 : 0;
    }
  }
  for (const s of await Promise.all(answers)) ok += s === Status.OK ? 1 : 0;
  assert.equal(ok, 70_000);
  await until(() => taken === 70_000, 30_000, 'the node took every event');
  draining = false;
  await src.close();
  await drain;
});

/** An NG avro source whose channel (one event, nothing takes) is full after the first batch. */
async function stuckNgSource(requestTimeout: string) {
  const ctx = testContext({ nodeName: 'a1' });
  const src = ngAvroSource.create(
    new ComponentProperties('source r1', ngAvroSource.properties, {
      bind: '127.0.0.1',
      port: '0',
      'request-timeout': requestTimeout,
    }),
    ctx,
  ) as AvroEventSource;
  const channel = memoryChannel.create(
    { capacity: '1', transactionCapacity: '1', 'keep-alive': '0.05' },
    {
      name: 'c1',
      config: ctx.config,
      logger: ctx.logger,
    },
  );
  await channel.start();
  const runner = new SourceRunner('r1', src, [], replicateTo([channel]), ctx.logger, 20);
  await runner.start();
  cleanup.push(async () => {
    await channel.stop();
    await runner.stop();
  });
  const server = (src as unknown as { server: import('../../src/rpc/avro/server.js').AvroServer }).server;
  return { src, server };
}

const eightMiB = () => encodeFrame(2, [requestHead('appendBatch'), oneEvent(Buffer.alloc(8 * MiB, 0x65))]);

test('NG avro source in front of a full channel: per-connection read-ahead bounded in bytes', {
  timeout: 120_000,
}, async () => {
  const { server } = await stuckNgSource('60000');
  const s = await handshaken(server.port);
  const frame = eightMiB();
  let peak = 0;
  let written = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, server.heldBytes)), 5);
  cleanup.push(() => clearInterval(sampler));
  // 24 frames of 8 MiB (192 MiB) pipelined: the server reads a few, then stops reading.
  for (let i = 0; i < 24 && !s.destroyed; i++) {
    written++;
    if (!s.write(frame)) {
      const drained = await Promise.race([
        new Promise<boolean>((r) => s.once('drain', () => r(true))),
        new Promise<boolean>((r) => setTimeout(() => r(false), 1500)),
      ]);
      if (!drained) break;
    }
  }
  clearInterval(sampler);
  peak = Math.max(peak, server.heldBytes);
  assert.ok(written < 24, `the server stopped reading (wrote ${written} frames before the socket stalled)`);
  // 4 MiB of read-ahead, plus the frame that crossed it and the one being received.
  assert.ok(peak <= 4 * MiB + 2 * 8 * MiB + MiB, `held ${(peak / MiB).toFixed(1)} MiB`);
});

test('NG avro source in front of a full channel: a sender that leaves has its requests released', {
  timeout: 120_000,
}, async () => {
  const { src, server } = await stuckNgSource('300');
  const s = await handshaken(server.port);
  const frame = eightMiB();
  for (let i = 0; i < 6; i++) s.write(frame);
  await until(() => server.heldBytes > 4 * MiB, 30_000, 'the server reads ahead');
  s.destroy();
  // A connection we stopped reading learns of the hang-up when it reads again: once its stuck batches
  // were answered FAILED at the request timeout and its read-ahead drained.
  await until(() => server.connectionCount === 0, 30_000, 'the connection closes');
  assert.equal(server.heldBytes, 0);
  // Nothing of the gone sender's batches waits in the source either, at the latest after the timeout.
  const queue = (src as unknown as { queue: unknown[] }).queue;
  await until(() => queue.length === 0, 30_000, 'the source lets go of the batches');
});

// The test's timeout leaves room for the 120 s start-up wait (tsx compiling the child on a loaded machine).
test('at the open-file limit, accept failures are logged, not silent', { timeout: 180_000 }, async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-avro-emfile-'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const child = path.join(dir, 'collector.mts');
  fs.writeFileSync(
    child,
    [
      `import { BoundArgs } from '${root}src/catalog/types.ts';`,
      `import { createLogger } from '${root}src/core/logger.ts';`,
      `import { collectorSource } from '${root}src/sources/avro.ts';`,
      `import { testContext } from '${root}test/mocks/sinks.ts';`,
      'const ctx = { ...testContext(), logger: createLogger() };',
      "const src = collectorSource.build(BoundArgs.of('collectorSource', { port: 0 }), ctx);",
      'await src.open();',
      'setInterval(() => {}, 1000);',
    ].join('\n'),
  );
  // Few descriptors: Node and the listening socket take most of them, so a handful of clients run out.
  const proc = spawn('bash', ['-c', `ulimit -n 40 && exec "${process.execPath}" --import tsx "${child}"`], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanup.push(() => void proc.kill('SIGKILL'));
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  // tsx compiling the child on a loaded machine can take a minute; a child that died says why at once.
  await until(
    () => /listening on 127\.0\.0\.1:\d+/.test(stderr) || proc.exitCode !== null,
    120_000,
    'the collector to start',
  ).catch((e: Error) => {
    throw new Error(`${e.message}; the collector said: ${stderr}`);
  });
  assert.match(stderr, /listening on 127\.0\.0\.1:\d+/, `the collector exited (${proc.exitCode}): ${stderr}`);
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < 60 && !/open-file limit/.test(stderr); i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    sockets.push(s);
    await new Promise((r) => setTimeout(r, 10));
  }
  await until(() => /open-file limit/.test(stderr), 30_000, 'the limit is logged').catch((e: Error) => {
    throw new Error(`${e.message}; the collector said: ${stderr}`);
  });
  for (const s of sockets) s.destroy();
  assert.equal(stderr.match(/open-file limit/g)!.length, 1, 'logged once, then counted');
  assert.match(
    stderr,
    /cannot accept connections: the process is at its open-file limit \(raise ulimit -n\)/,
  );
});
