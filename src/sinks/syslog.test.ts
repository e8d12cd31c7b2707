import assert from 'node:assert/strict';
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { certSet } from '../../test/fixtures/tls-peers.js';
import { testContext } from '../../test/mocks/sinks.js';
import { peerSkip } from '../../test/support/peers.js';
import { pull } from '../../test/support/source-helpers.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import type { Priority } from '../core/priority.js';
import { SyslogFramer } from '../rpc/syslog/framing.js';
import { SYSLOG_FACILITY, SYSLOG_PARSE_ERROR, SyslogParser } from '../rpc/syslog/parse.js';
import { Zone } from '../rpc/syslog/zone.js';
import { SyslogTcpSource } from '../sources/syslog.js';
import { SyslogTcpSink, syslogTcpSink } from './syslog.js';

/**
 * A syslog TCP receiver for the tests: frames and parses what arrives (with the rpc/syslog codec the
 * sources use) and can stop reading, to make the sender's socket buffer fill.
 */
class Receiver {
  readonly events: Event[] = [];
  private readonly sockets = new Set<Socket>();
  private paused = false;
  private constructor(private readonly server: Server) {}

  static async start(port = 0): Promise<Receiver> {
    const server = createServer();
    const r = new Receiver(server);
    server.on('connection', (s) => r.accept(s));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    closers.push(r);
    return r;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  pause(): void {
    this.paused = true;
    for (const s of this.sockets) s.pause();
  }

  resume(): void {
    this.paused = false;
    for (const s of this.sockets) s.resume();
  }

  /** Resolves once n events arrived; rejects after timeoutMs. */
  async waitFor(n: number, timeoutMs = 30_000): Promise<Event[]> {
    const end = Date.now() + timeoutMs;
    while (this.events.length < n) {
      if (Date.now() > end) throw new Error(`received ${this.events.length} of ${n} events`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.events;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise((r) => this.server.close(r));
  }

  private accept(s: Socket): void {
    this.sockets.add(s);
    if (this.paused) s.pause();
    const framer = new SyslogFramer(new SyslogParser({ zone: Zone.UTC }), s.remoteAddress ?? '?', 65536);
    s.on('data', (chunk: Buffer) => framer.push(chunk, this.events));
    s.on('end', () => framer.end(this.events));
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
  }
}

const closers: { close(): Promise<void> }[] = [];
after(async () => {
  for (const c of closers) await c.close();
});

function sink(
  port: number,
  extra: Partial<ConstructorParameters<typeof SyslogTcpSink>[0]> = {},
): SyslogTcpSink {
  const s = new SyslogTcpSink({
    host: '127.0.0.1',
    port,
    zone: Zone.UTC,
    retries: 3,
    backoffMs: 20,
    ...extra,
  });
  closers.push(s);
  return s;
}

function raceTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    t = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

const batch = (from: number, n: number, fields: Partial<{ priority: Priority; host: string }> = {}) =>
  Array.from({ length: n }, (_, i) => Event.of(`event ${from + i}`, { host: 'src-host', ...fields }));

describe('syslogTcp sink', () => {
  it('delivers every event to a syslogTcp source with priority, host and body', async () => {
    for (const opts of [{}, { octetCounting: true }, { rfc5424: true, octetCounting: true }]) {
      const rx = await Receiver.start();
      const k = sink(rx.port, opts);
      await k.open();
      for (let b = 0; b < 20; b++) await k.append(batch(b * 100, 100, { priority: (b % 5) as Priority }));
      await k.close();
      const events = await rx.waitFor(2000);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(events.length, 2000, JSON.stringify(opts));
      for (let i = 0; i < 2000; i++) {
        const e = events[i]!;
        assert.ok(e.body.toString().endsWith(` event ${i}`), e.body.toString());
        assert.equal(e.getAttr(SYSLOG_FACILITY)?.[0], 1, 'the default facility, user');
        assert.equal(e.host, 'src-host');
        assert.equal(e.priority, Math.floor(i / 100) % 5);
        assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false);
      }
    }
  });

  it('waits in append while the receiver is not reading (backpressure), then completes', async () => {
    const rx = await Receiver.start();
    rx.pause();
    const k = sink(rx.port);
    await k.open();
    // Append until one append stays unsettled: the kernel buffers are full and the sink waits.
    let pending: Promise<void> | undefined;
    let sent = 0;
    const big = 'x'.repeat(400);
    for (let i = 0; i < 400 && pending === undefined; i++) {
      const r = k.append(Array.from({ length: 500 }, () => Event.of(big)));
      sent += 500;
      if (r instanceof Promise && (await raceTimeout(r, 200)) === 'timeout') pending = r;
    }
    assert.ok(pending, 'an append waited while nobody reads');
    rx.resume();
    await pending;
    await k.close();
    assert.equal((await rx.waitFor(sent, 60_000)).length, sent);
  });

  it('reconnects after the receiver went away and came back on the same port', async () => {
    const first = await Receiver.start();
    const port = first.port;
    const k = sink(port);
    await k.open();
    await k.append(batch(0, 10));
    assert.equal((await first.waitFor(10)).length, 10);
    await first.close();
    // The sink must have seen the connection end before its next append (TCP has no acks: a write
    // into the dead socket is lost, as documented). Polled, not slept: a loaded machine delivers the
    // close late. Test-only access to the sink's state.
    const broken = () => (k as unknown as { broken: boolean }).broken;
    for (const end = Date.now() + 30_000; !broken() && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 5));
    assert.ok(broken(), 'the sink saw the receiver go');
    const second = await Receiver.start(port);
    await k.append(batch(10, 10));
    const events = await second.waitFor(10);
    assert.deepEqual(
      events.map((e) => e.body.toString().split(' ').slice(-2).join(' ')),
      batch(10, 10).map((e) => e.body.toString()),
    );
    assert.equal(k.connects, 2);
  });

  it('fails with a retriable error naming the peer when nobody listens', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const k = sink(port, { retries: 1 });
    await assert.rejects(k.open(), (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.retriable, true);
      assert.equal(e.message, `syslogTcp cannot connect to 127.0.0.1:${port}: connection refused`);
      return true;
    });
    await k.close();
    await assert.rejects(
      async () => k.append(batch(0, 1)),
      (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_CLOSED',
    );
  });

  it('is built from its definition, with a default port of 514 and checked arguments', () => {
    const ctx = testContext();
    const def = syslogTcpSink;
    assert.deepEqual(
      def.params.map((p) => [p.name, p.default]),
      [
        ['host', undefined],
        ['port', 514],
        ['format', 'rfc3164'],
        ['octetCounting', false],
        ['zone', undefined],
        ['facility', 1],
        ['ssl', false],
        ['keyFile', undefined],
        ['certFile', undefined],
        ['caFile', undefined],
      ],
    );
    assert.ok(def.build(BoundArgs.of('syslogTcp', { host: 'localhost' }), ctx) instanceof SyslogTcpSink);
    assert.throws(
      () => def.build(BoundArgs.of('syslogTcp', { host: 'h', format: 'cef' }), ctx),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.oneLine() === 'syslogTcp: format: format must be rfc3164 or rfc5424, got "cef"',
    );
    assert.throws(
      () => def.build(BoundArgs.of('syslogTcp', { host: 'h', port: 0 }), ctx),
      (e: unknown) => e instanceof SluiceError && e.place?.field === 'port',
    );
  });
});

describe('syslogTcp sink over TLS (RFC 5425)', () => {
  const certs = certSet();
  const skip = peerSkip('openssl');

  async function tlsSource(caFile?: string): Promise<SyslogTcpSource> {
    const { server } = certs!;
    const src = new SyslogTcpSource({
      port: 0,
      bind: '127.0.0.1',
      tls: { ssl: true, keyFile: server.keyFile, certFile: server.certFile, caFile, trustAllCerts: false },
    });
    closers.push(src);
    await src.open();
    return src;
  }

  it('delivers every event to a TLS syslogTcp source, built from keyword arguments', { skip }, async () => {
    const src = await tlsSource();
    for (const octetCounting of [false, true]) {
      const k = syslogTcpSink.build(
        BoundArgs.of('syslogTcp', {
          host: '127.0.0.1',
          port: src.port,
          octetCounting,
          caFile: certs!.server.certFile,
        }),
        testContext(),
      ) as SyslogTcpSink;
      closers.push(k);
      await k.open();
      for (let b = 0; b < 10; b++) await k.append(batch(b * 100, 100));
      await k.close();
      const { events } = await pull(src, { want: 1000, timeoutMs: 10_000 });
      assert.equal(events.length, 1000);
      for (let i = 0; i < 1000; i++) assert.ok(events[i]!.body.toString().endsWith(` event ${i}`));
    }
    assert.equal(src.connections, 2);
  });

  it('fails at once, without retries, when the server certificate is not trusted', { skip }, async () => {
    const src = await tlsSource();
    const k = sink(src.port, {
      retries: 5,
      backoffMs: 1000,
      tls: {
        ssl: true,
        caFile: certs!.other.certFile,
        keyFile: undefined,
        certFile: undefined,
        trustAllCerts: false,
      },
    });
    const t0 = Date.now();
    await assert.rejects(k.open(), (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.code, 'SLUICE_IO');
      assert.equal(e.retriable, false);
      assert.equal(e.place?.field, 'caFile');
      assert.equal(
        e.message,
        `syslogTcp: TLS certificate of 127.0.0.1:${src.port} not trusted: self-signed certificate (check caFile and the certificate's names)`,
      );
      return true;
    });
    assert.ok(Date.now() - t0 < 1000, 'no backoff before reporting a certificate problem');
    assert.equal(k.connects, 0);
  });

  it('presents a client certificate to a source that requires one', { skip }, async () => {
    const { server, client } = certs!;
    const src = await tlsSource(client.certFile);
    const k = sink(src.port, {
      tls: {
        ssl: true,
        caFile: server.certFile,
        keyFile: client.keyFile,
        certFile: client.certFile,
        trustAllCerts: false,
      },
    });
    await k.open();
    await k.append(batch(0, 3));
    await k.close();
    const { events } = await pull(src, { want: 3 });
    assert.deepEqual(
      events.map((e) => e.body.toString().split(' ').slice(-2).join(' ')),
      ['event 0', 'event 1', 'event 2'],
    );
  });

  it('rejects a key without its certificate, naming the argument', () => {
    assert.throws(
      () => syslogTcpSink.build(BoundArgs.of('syslogTcp', { host: 'h', keyFile: 'k.pem' }), testContext()),
      (e: unknown) =>
        e instanceof SluiceError && e.oneLine() === 'syslogTcp: certFile: keyFile and certFile go together',
    );
  });
});
