import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { after, describe, it } from 'node:test';
import { certSet, plainRefused, tlsExchange } from '../../test/fixtures/tls-peers.js';
import { peerSkip } from '../../test/support/peers.js';
import { pull, raceTimeout, testContext } from '../../test/support/source-helpers.js';
import { bindArgs } from '../catalog/bind.js';
import { ComponentProperties, type PropertySpec } from '../catalog/properties.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import { Priority } from '../core/priority.js';
import { SYSLOG_FACILITY, SYSLOG_PARSE_ERROR, SYSLOG_SEVERITY } from '../rpc/syslog/parse.js';
import { syslogZone } from '../rpc/syslog/zone.js';
import { parseSource } from '../spec/parser.js';
import {
  multiportSyslogTcpNgSource,
  SyslogTcpSource,
  SyslogUdpSource,
  syslogTcp1Source,
  syslogTcpNgSource,
  syslogTcpSource,
  syslogUdpNgSource,
  syslogUdpSource,
} from './syslog.js';

const NO_LOGGER = peerSkip('logger');

/** Runs util-linux logger with `args`, feeding `stdin` (one message per line); resolves on exit 0. */
function logger(args: string[], stdin?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('logger', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => p.kill(), 10_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`logger ${args.join(' ')} exited ${code}: ${err}`));
    });
    // logger reads stdin only without a message argument; when it does not, it may exit first.
    p.stdin.on('error', () => {});
    p.stdin.end(stdin ?? '');
  });
}

function tcpSend(port: number, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(data));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

function udpSend(port: number, datagrams: (Buffer | string)[]): Promise<void> {
  const s = createSocket('udp4');
  return (async () => {
    for (const d of datagrams) {
      await new Promise<void>((resolve, reject) =>
        s.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    }
    s.close();
  })();
}

const open: { close(): Promise<void> }[] = [];
async function tcpSource(
  extra: Partial<ConstructorParameters<typeof SyslogTcpSource>[0]> = {},
  single = false,
) {
  const src = new SyslogTcpSource({ port: 0, bind: '127.0.0.1', ...extra }, single);
  open.push(src);
  await src.open();
  return src;
}
async function udpSource() {
  // logger writes RFC 3164 stamps in the machine's zone.
  const src = new SyslogUdpSource({ port: 0, bind: '127.0.0.1', zone: syslogZone('local') });
  open.push(src);
  await src.open();
  return src;
}
after(async () => {
  for (const s of open) await s.close();
});

const byte = (e: Event, attr: string) => e.getAttr(attr)?.[0];

describe('syslogUdp', () => {
  it('receives what util-linux logger sends (RFC 3164 and 5424)', { skip: NO_LOGGER }, async () => {
    const src = await udpSource();
    const port = String(src.port);
    await logger([
      '--udp',
      '--server',
      '127.0.0.1',
      '--port',
      port,
      '--rfc3164',
      '-p',
      'local3.err',
      '--',
      'one',
    ]);
    await logger([
      '--udp',
      '--server',
      '127.0.0.1',
      '--port',
      port,
      '--rfc5424',
      '-p',
      'daemon.debug',
      '--',
      'two',
    ]);
    const { events } = await pull(src, { want: 2 });
    assert.equal(events.length, 2);
    const [a, b] = events as [Event, Event];
    assert.match(a.body.toString(), /^<155>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \S+: one$/);
    assert.equal(byte(a, SYSLOG_FACILITY), 19);
    assert.equal(byte(a, SYSLOG_SEVERITY), 3);
    assert.equal(a.priority, Priority.ERROR);
    assert.equal(a.host, hostname());
    assert.ok(Math.abs(a.timestamp - Date.now()) < 5000, 'the header time, read in the local zone');
    assert.match(b.body.toString(), /^<31>1 \S+ \S+ \S+ - - \[timeQuality.*\] two$/);
    assert.equal(b.priority, Priority.DEBUG);
    assert.equal(b.host, hostname());
    assert.ok(Math.abs(b.timestamp - Date.now()) < 5000);
    for (const e of events) assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false);
  });

  it('keeps garbage datagrams as events with parse errors, then goes on', async () => {
    const src = await udpSource();
    const junk = [
      Buffer.from([0, 1, 2, 255, 254]),
      Buffer.from('<999>x'),
      Buffer.from('plain text\n'),
      Buffer.alloc(0),
    ];
    await udpSend(src.port, [...junk, '<37>hello via syslog\n']);
    const { events } = await pull(src, { want: 4 });
    assert.deepEqual(
      events.map((e) => e.getAttrString(SYSLOG_PARSE_ERROR)),
      [
        'missing PRI: the message does not start with "<"',
        'bad PRI: 999 is above 191',
        'missing PRI: the message does not start with "<"',
        undefined,
      ],
      'the empty datagram carries nothing and gives no event',
    );
    assert.equal(events[3]!.body.toString(), '<37>hello via syslog');
    assert.equal(events[3]!.host, '127.0.0.1');
  });

  it('drops and counts datagrams while its queue is full, and takes them again once drained', async () => {
    const src = new SyslogUdpSource({ port: 0, bind: '127.0.0.1', maxQueued: 10 });
    open.push(src);
    await src.open();
    await udpSend(
      src.port,
      Array.from({ length: 50 }, (_, i) => `<13>d${i}`),
    );
    const deadline = Date.now() + 30_000;
    while (src.dropped < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(src.dropped, 40);
    const first = await pull(src, { timeoutMs: 300 });
    assert.deepEqual(
      first.events.map((e) => e.body.toString()),
      Array.from({ length: 10 }, (_, i) => `<13>d${i}`),
    );
    await udpSend(src.port, ['<13>after']);
    assert.equal((await pull(src, { want: 1 })).events[0]?.body.toString(), '<13>after');
  });

  it('fails to open on a port in use with an error naming the port', async () => {
    const a = await udpSource();
    const b = new SyslogUdpSource({ port: a.port, bind: '127.0.0.1' });
    await assert.rejects(b.open(), (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.code, 'SLUICE_IO');
      assert.equal(
        e.oneLine(),
        `syslogUdp: port: cannot listen on UDP 127.0.0.1:${a.port}: address already in use`,
      );
      return true;
    });
  });
});

describe('syslogTcp', () => {
  it('receives newline and octet-counted messages from many logger processes at once', {
    skip: NO_LOGGER,
  }, async () => {
    const src = await tcpSource();
    const port = String(src.port);
    const senders = 8;
    const lines = 250;
    const runs: Promise<void>[] = [];
    for (let s = 0; s < senders; s++) {
      const text = Array.from({ length: lines }, (_, i) => `sender ${s} line ${i}`).join('\n');
      const framing = s % 2 === 0 ? ['--octet-count'] : [];
      const rfc = s % 4 < 2 ? '--rfc3164' : '--rfc5424';
      runs.push(
        logger(['--tcp', '--server', '127.0.0.1', '--port', port, rfc, ...framing, '-t', `t${s}`], text),
      );
    }
    await Promise.all(runs);
    const { events } = await pull(src, { want: senders * lines, timeoutMs: 15_000 });
    assert.equal(events.length, senders * lines);
    const seen = new Map<number, number[]>();
    for (const e of events) {
      assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false, e.body.toString());
      const m = /sender (\d+) line (\d+)$/.exec(e.body.toString());
      assert.ok(m, e.body.toString());
      const list = seen.get(Number(m[1])) ?? [];
      list.push(Number(m[2]));
      seen.set(Number(m[1]), list);
    }
    for (let s = 0; s < senders; s++) {
      assert.deepEqual(
        seen.get(s),
        Array.from({ length: lines }, (_, i) => i),
        `sender ${s} in order`,
      );
    }
  });

  it('returns queued data synchronously and batches it', async () => {
    const src = await tcpSource();
    const msgs = Array.from({ length: 1000 }, (_, i) => `<13>m${i}\n`).join('');
    await tcpSend(src.port, msgs);
    const deadline = Date.now() + 30_000;
    while (src.queued < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const b = src.next();
    assert.ok(Array.isArray(b), 'data at hand: no promise');
    const { events } = await pull(src, { want: 1000 - b.length });
    assert.equal(b.length + events.length, 1000);
    assert.ok(b.length > 1, `batched: first batch of ${b.length}`);
  });

  it('pauses sockets when the queue is full and loses nothing', async () => {
    const maxQueued = 2000;
    const src = await tcpSource({ maxQueued });
    const total = 200_000;
    const line = (i: number) => `<13>Nov 26 10:47:23 h app: payload number ${String(i).padStart(7, '0')}\n`;
    const data = Buffer.from(Array.from({ length: total }, (_, i) => line(i)).join(''));
    const client: Socket = connect({ host: '127.0.0.1', port: src.port });
    await new Promise((r) => client.once('connect', r));
    client.write(data);
    // Nobody pulls: the sender must be held back by TCP, and the queue must stay bounded.
    let stalled = false;
    // A deadline, not a count of polls: a loaded machine moves the 200,000 lines slower.
    for (const end = Date.now() + 30_000; Date.now() < end && !stalled; ) {
      await new Promise((r) => setTimeout(r, 20));
      stalled = src.queued >= maxQueued && client.writableLength > 0;
    }
    assert.ok(stalled, `queued ${src.queued}, client still holding ${client.writableLength} bytes`);
    const held = client.writableLength;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(client.writableLength, held, 'no progress while nobody pulls');
    assert.ok(src.queued < maxQueued + 2000, `queue bounded: ${src.queued}`);
    client.end();
    const { events } = await pull(src, { want: total, timeoutMs: 20_000 });
    assert.equal(events.length, total);
    for (let i = 0; i < total; i += 9973) assert.equal(events[i]!.body.toString(), line(i).trimEnd());
    assert.equal(events[total - 1]!.body.toString(), line(total - 1).trimEnd());
  });

  it('survives garbage and random bytes on the port and still receives', async () => {
    const src = await tcpSource({ maxMessageSize: 512 });
    let seed = 7;
    const junk = Buffer.alloc(100_000);
    for (let i = 0; i < junk.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      junk[i] = seed % 50 === 0 ? 0x0a : seed & 0xff;
    }
    await Promise.all([
      tcpSend(src.port, junk),
      tcpSend(src.port, '99999999 <13>short'),
      tcpSend(src.port, '\0\0\0'),
    ]);
    await tcpSend(src.port, '<13>still alive\n');
    const { events } = await pull(src, { timeoutMs: 1500 });
    assert.ok(events.length > 100, `${events.length} events`);
    assert.ok(events.some((e) => e.body.toString() === '<13>still alive'));
    const errors = events.filter((e) => e.hasAttr(SYSLOG_PARSE_ERROR)).length;
    assert.ok(errors > events.length / 2, `${errors} of ${events.length} marked`);
    assert.ok(events.every((e) => e.body.length <= 512));
  });

  it('fails to open on a port in use with an error naming the port', async () => {
    const a = await tcpSource();
    const b = new SyslogTcpSource({ port: a.port, bind: '127.0.0.1' });
    await assert.rejects(b.open(), (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.code, 'SLUICE_IO');
      assert.equal(e.place?.field, 'port');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${a.port}: address already in use`));
      return true;
    });
  });

  it('close makes a pending next() resolve null', async () => {
    const src = new SyslogTcpSource({ port: 0, bind: '127.0.0.1' });
    await src.open();
    const r = src.next();
    assert.ok(r instanceof Promise);
    await src.close();
    assert.equal(await r, null);
    assert.equal(src.next(), null);
  });
});

describe('syslogTcp1', () => {
  it('serves one connection, refuses others, then finishes', async () => {
    const src = await tcpSource({}, true);
    const first = connect({ host: '127.0.0.1', port: src.port });
    await new Promise((r) => first.once('connect', r));
    first.write('<13>a\n4 <1>b<13>c');
    // The listener is gone once the first peer is in: a second peer is refused.
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: src.port });
      s.on('error', () => resolve(true));
      s.on('connect', () => {
        s.destroy();
        resolve(false);
      });
    });
    assert.equal(refused, true);
    first.end();
    const { events, drained } = await pull(src, { timeoutMs: 5000 });
    assert.deepEqual(
      events.map((e) => e.body.toString()),
      ['<13>a', '<1>b', '<13>c'],
    );
    assert.equal(drained, true, 'next() returns null after the connection closed');
  });
});

describe('syslog source definitions', () => {
  it('build working sources from bound arguments, defaulting bind to sluice.source.bind', async () => {
    const ctx = testContext();
    const tcp = syslogTcpSource.build(BoundArgs.of('syslogTcp', { port: 0, bind: '127.0.0.1' }), ctx);
    open.push(tcp);
    await tcp.open();
    await tcpSend((tcp as SyslogTcpSource).port, '<13>via def\n');
    assert.equal((await pull(tcp, { want: 1 })).events[0]?.body.toString(), '<13>via def');
    const any = syslogUdpSource.build(BoundArgs.of('syslogUdp', { port: 0 }), ctx) as SyslogUdpSource;
    open.push(any);
    await any.open();
    await udpSend(any.port, ['<13>to any']);
    assert.equal((await pull(any, { want: 1 })).events.length, 1);
    assert.ok(
      ctx.logger.lines.includes(`INFO syslogUdp: listening on 127.0.0.1:${any.port} (UDP)`),
      ctx.logger.lines.join('\n'),
    );
    assert.equal(syslogTcp1Source.name, 'syslogTcp1');
    for (const def of [syslogUdpSource, syslogTcpSource, syslogTcp1Source]) {
      const tcpNames =
        def === syslogUdpSource
          ? []
          : [
              'ssl',
              'keyFile',
              'certFile',
              'caFile',
              'maxConnections',
              'idleTimeout',
              'readTimeout',
              'handshakeTimeout',
            ];
      assert.deepEqual(
        def.params.map((p) => p.name),
        ['port', 'bind', 'zone', 'maxMessageSize', ...tcpNames],
      );
      assert.ok(def.params.every((p) => p.docs.length > 10));
    }
    // A quiet syslog sender is not disconnected unless asked: it would lose the next message.
    assert.equal(syslogTcpSource.params.find((p) => p.name === 'idleTimeout')?.default, 0);
    assert.equal(syslogTcpNgSource.properties.find((p) => p.name === 'idle-timeout')?.default, '0');
  });

  it('read RFC 3164 stamps in the site zone (sluice.time.zone) unless zone is given', async () => {
    const ctx = testContext();
    ctx.config = ctx.config.with({ 'sluice.time.zone': 'Asia/Tokyo' });
    const stampAt = async (args: Record<string, string | number>) => {
      const src = syslogTcpSource.build(
        BoundArgs.of('syslogTcp', { port: 0, bind: '127.0.0.1', ...args }),
        ctx,
      );
      open.push(src);
      await src.open();
      await tcpSend((src as SyslogTcpSource).port, '<13>Jan 15 12:00:00 h m\n');
      const e = (await pull(src, { want: 1 })).events[0]!;
      return new Date(e.timestamp).toISOString().slice(5);
    };
    assert.equal(await stampAt({}), '01-15T03:00:00.000Z', 'Tokyo is UTC+9');
    assert.equal(await stampAt({ zone: 'America/New_York' }), '01-15T17:00:00.000Z', 'EST is UTC-5');
  });

  it('bind from spec text: positional port, keyword bind, site defaults for the rest', async () => {
    const ctx = testContext();
    ctx.config = ctx.config.with({ 'flume.event.max.size.bytes': '64' });
    const args = bindArgs(
      syslogTcpSource,
      parseSource('syslogTcp(0, bind="127.0.0.1")'),
      'x.spec',
      ctx.config,
    );
    assert.equal(args.int('maxMessageSize'), 64);
    const src = syslogTcpSource.build(args, ctx) as SyslogTcpSource;
    open.push(src);
    await src.open();
    await tcpSend(src.port, `<13>${'y'.repeat(100)}\n`);
    const e = (await pull(src, { want: 1 })).events[0]!;
    assert.equal(e.body.length, 64);
    assert.equal(e.getAttrString(SYSLOG_PARSE_ERROR), 'message longer than the limit of 64 bytes; truncated');
  });

  it('listen where sluice.source.bind says when the spec names no bind, and say where on start', async () => {
    for (const [site, want] of [
      [undefined, '127.0.0.1'],
      ['0.0.0.0', '0.0.0.0'],
    ] as const) {
      const ctx = testContext();
      if (site !== undefined) ctx.config = ctx.config.with({ 'sluice.source.bind': site });
      const args = bindArgs(
        syslogTcpSource,
        parseSource('syslogTcp(0, idleTimeout=5000)'),
        'x.spec',
        ctx.config,
      );
      assert.equal(args.optString('bind'), want);
      const src = syslogTcpSource.build(args, ctx) as SyslogTcpSource;
      open.push(src);
      await src.open();
      assert.deepEqual(
        ctx.logger.lines.filter((l) => l.includes('listening')),
        [`INFO syslogTcp: listening on ${want}:${src.port}`],
      );
      await tcpSend(src.port, '<13>here\n');
      assert.equal((await pull(src, { want: 1 })).events.length, 1);
      await src.close();
    }
  });

  it('reject a bad zone or port with the argument named', () => {
    const ctx = testContext();
    assert.throws(
      () => syslogTcpSource.build(BoundArgs.of('syslogTcp', { port: 5140, zone: 'Mars/Olympus' }), ctx),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.oneLine() === 'syslogTcp: zone: unknown time zone "Mars/Olympus" (use UTC, local or an IANA name)',
    );
    assert.throws(
      () => syslogUdpSource.build(BoundArgs.of('syslogUdp', { port: 70000 }), ctx),
      (e: unknown) =>
        e instanceof SluiceError && e.code === 'SLUICE_SPEC_BAD_ARGUMENT' && e.place?.field === 'port',
    );
  });
});

describe('syslogTcp over TLS (RFC 5425)', () => {
  const certs = certSet();
  const skip = peerSkip('openssl');

  it('receives both framings from TLS clients, drops plain-text clients and keeps serving', {
    skip,
  }, async () => {
    const { server, other } = certs!;
    const ctx = testContext();
    const args = BoundArgs.of('syslogTcp', {
      port: 0,
      bind: '127.0.0.1',
      ssl: true,
      keyFile: server.keyFile,
      certFile: server.certFile,
    });
    const src = syslogTcpSource.build(args, ctx) as SyslogTcpSource;
    open.push(src);
    await src.open();
    const lines = Array.from({ length: 50 }, (_, i) => `<13>line ${i}\n`).join('');
    const counted = Array.from({ length: 50 }, (_, i) => `<14>counted\n${i}`)
      .map((m) => `${Buffer.byteLength(m)} ${m}`)
      .join('');
    await tlsExchange(src.port, lines + counted, { ca: server.cert });
    let got = await pull(src, { want: 100 });
    assert.equal(got.events.length, 100);
    assert.equal(got.events[49]!.body.toString(), '<13>line 49');
    assert.equal(got.events[99]!.body.toString(), '<14>counted\n49', 'octet counting keeps newlines');

    assert.equal(await plainRefused(src.port, '<13>plain text\n'), 'closed');
    await assert.rejects(tlsExchange(src.port, '<13>untrusted\n', { ca: other.cert }), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    await tlsExchange(src.port, '<13>after\n', { ca: server.cert });
    got = await pull(src, { want: 2, timeoutMs: 1000 });
    assert.deepEqual(
      got.events.map((e) => e.body.toString()),
      ['<13>after'],
      'nothing from the plain-text client, and the port still serves',
    );
    assert.ok(
      ctx.logger.lines.some((l) => /^WARN syslogTcp: TLS handshake with 127\.0\.0\.1 failed: /.test(l)),
      ctx.logger.lines.join('\n'),
    );
    assert.equal(src.connections, 2, 'only completed TLS handshakes count as connections');
  });

  it('with caFile admits only clients whose certificate it signed', { skip }, async () => {
    const { server, client, other } = certs!;
    const src = await tcpSource({
      tls: {
        ssl: true,
        keyFile: server.keyFile,
        certFile: server.certFile,
        caFile: client.certFile,
        trustAllCerts: false,
      },
    });
    // Under TLS 1.3 the client finishes its handshake before the server checks its certificate, so the
    // refusal may come as an error or as a bare close: either way nothing may be delivered.
    await tlsExchange(src.port, '<13>anonymous\n', { ca: server.cert }).catch(() => undefined);
    await tlsExchange(src.port, '<13>stranger\n', {
      ca: server.cert,
      key: other.key,
      cert: other.cert,
    }).catch(() => undefined);
    await tlsExchange(src.port, '<13>known\n', { ca: server.cert, key: client.key, cert: client.cert });
    const got = await pull(src, { want: 3, timeoutMs: 1000 });
    assert.deepEqual(
      got.events.map((e) => e.body.toString()),
      ['<13>known'],
    );
  });

  it('syslogTcp1 serves one TLS peer; a failed handshake does not use up its one connection', {
    skip,
  }, async () => {
    const { server } = certs!;
    const src = await tcpSource(
      {
        tls: {
          ssl: true,
          keyFile: server.keyFile,
          certFile: server.certFile,
          caFile: undefined,
          trustAllCerts: false,
        },
      },
      true,
    );
    await plainRefused(src.port, 'junk\n');
    await tlsExchange(src.port, '<13>only\n', { ca: server.cert });
    const { events, drained } = await pull(src, { timeoutMs: 5000 });
    assert.deepEqual(
      events.map((e) => e.body.toString()),
      ['<13>only'],
    );
    assert.equal(drained, true);
  });

  it('reports bad TLS arguments at build and a missing key file at open, naming the field', {
    skip,
  }, async () => {
    const ctx = testContext();
    const build = (a: Record<string, string | number | boolean>) =>
      syslogTcpSource.build(BoundArgs.of('syslogTcp', { port: 0, bind: '127.0.0.1', ...a }), ctx);
    assert.throws(() => build({ ssl: true }), {
      code: 'SLUICE_SPEC_BAD_ARGUMENT',
      message: 'ssl needs keyFile and certFile on a listening port',
    });
    assert.throws(
      () => build({ keyFile: certs!.server.keyFile }),
      (e: unknown) =>
        e instanceof SluiceError && e.oneLine() === 'syslogTcp: certFile: keyFile and certFile go together',
    );
    const src = build({
      keyFile: '/nonexistent/key.pem',
      certFile: certs!.server.certFile,
    }) as SyslogTcpSource;
    await assert.rejects(src.open(), (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.place?.field, 'keyFile');
      assert.match(e.message, /cannot read \/nonexistent\/key\.pem: no such file or directory/);
      return true;
    });
    await src.close();
  });
});

describe('NG syslogtcp connection properties', () => {
  it('take max-connections and read-timeout from the agent file', async () => {
    const ctx = testContext();
    const props = new ComponentProperties('source r1', syslogTcpNgSource.properties, {
      host: '127.0.0.1',
      port: '0',
      'max-connections': '1',
      // 2 s: the second client must be refused while the first is still within its read timeout, on
      // a loaded machine too.
      'read-timeout': '2000',
    });
    const src = syslogTcpNgSource.create(props, ctx) as SyslogTcpSource;
    open.push(src);
    await src.open();
    const closed = (s: Socket) => new Promise<void>((resolve) => s.on('close', () => resolve()));
    const first = connect({ host: '127.0.0.1', port: src.port });
    first.on('error', () => {});
    first.write('<13>never finished');
    const firstClosed = closed(first);
    const deadline = Date.now() + 30_000;
    while (src.stats.connections.open < 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const second = connect({ host: '127.0.0.1', port: src.port });
    second.on('error', () => {});
    assert.notEqual(await raceTimeout(closed(second), 30_000), 'timeout', 'the second connection is refused');
    assert.notEqual(await raceTimeout(firstClosed, 30_000), 'timeout', 'the slow one is closed');
    assert.equal(src.stats.connections.refusedOverLimit, 1);
    assert.equal(src.stats.connections.slowReadClosed, 1);
    assert.ok(
      ctx.logger.lines.some((l) =>
        /^WARN source r1: syslogTcp: connection refused, maxConnections 1 reached/.test(l),
      ),
    );
  });
});

describe('NG multiport_syslogtcp', () => {
  const make = (props: Record<string, string>) =>
    multiportSyslogTcpNgSource.create(
      new ComponentProperties('source r1', multiportSyslogTcpNgSource.properties as PropertySpec[], {
        host: '127.0.0.1',
        ...props,
      }),
      testContext(),
    ) as SyslogTcpSource;

  it("listens on every port of ports and records each message's port in portHeader", async () => {
    const src = make({ ports: '0 0 0', portHeader: 'port' });
    open.push(src);
    await src.open();
    const ports = src.ports;
    assert.equal(ports.length, 3);
    assert.equal(new Set(ports).size, 3, 'three distinct ports');
    await Promise.all(
      ports.map((port, i) =>
        tcpSend(port, `<13>Oct 11 22:14:15 h app: to ${i}\n<13>Oct 11 22:14:15 h app: again ${i}\n`),
      ),
    );
    const { events } = await pull(src, { want: 6 });
    assert.equal(events.length, 6);
    for (const e of events) {
      const i = Number(/(?:to|again) (\d)$/.exec(e.bodyText())![1]);
      assert.equal(e.getAttrString('port'), String(ports[i]), e.bodyText());
    }
    assert.equal(src.stats.connections.accepted, 3);
    await src.close();
  });

  it('without portHeader no port header is added; a port taken fails open and frees the others', async () => {
    const first = make({ ports: '0' });
    open.push(first);
    await first.open();
    await tcpSend(first.port, '<13>Oct 11 22:14:15 h app: x\n');
    const { events } = await pull(first, { want: 1 });
    assert.deepEqual(
      events.map((e) => e.attrCount),
      [2],
      'syslogfacility and syslogseverity only',
    );
    const taken = first.port;
    const second = make({ ports: `0 ${taken}` });
    await assert.rejects(
      second.open(),
      (e: unknown) => e instanceof SluiceError && /address already in use/.test(e.message),
    );
    assert.deepEqual(second.ports, [], 'the port bound before the failure was let go');
    await second.close();
  });

  it('ports errors name the key', () => {
    assert.throws(() => make({}), /source r1: ports is required/);
    assert.throws(
      () => make({ ports: '5140 x' }),
      /source r1: ports must be port numbers between 0 and 65535, got "x"/,
    );
    assert.throws(() => make({ ports: '5140 5140' }), /source r1: ports names 5140 twice/);
    assert.throws(() => make({ ports: '70000' }), /got "70000"/);
  });
});

describe('Flume NG forms: syslogtcp and syslogudp', () => {
  const props = (def: typeof syslogTcpNgSource | typeof syslogUdpNgSource, p: Record<string, string>) =>
    new ComponentProperties('source r1', def.properties, p);

  async function one(src: SyslogTcpSource | SyslogUdpSource): Promise<string> {
    const r = await pull(src, { want: 1, timeoutMs: 3000 });
    assert.equal(r.events.length, 1, 'one event within 3 s');
    return r.events[0]!.body.toString();
  }

  it('syslogtcp listens on host:port and turns each line into an event', async () => {
    const src = syslogTcpNgSource.create(
      props(syslogTcpNgSource, { host: '127.0.0.1', port: '0' }),
      testContext(),
    ) as SyslogTcpSource;
    await src.open();
    const sock = connect(src.port, '127.0.0.1');
    sock.write('<13>Jan  1 00:00:00 myhost app: hello tcp\n');
    const body = await one(src);
    sock.destroy();
    await src.close();
    assert.match(body, /hello tcp/);
  });

  it('syslogudp takes one message per datagram', async () => {
    const src = syslogUdpNgSource.create(
      props(syslogUdpNgSource, { host: '127.0.0.1', port: '0' }),
      testContext(),
    ) as SyslogUdpSource;
    await src.open();
    const sock = createSocket('udp4');
    sock.send(Buffer.from('<13>Jan  1 00:00:00 myhost app: hello udp'), src.port, '127.0.0.1');
    const body = await one(src);
    sock.close();
    await src.close();
    assert.match(body, /hello udp/);
  });

  it('syslog properties are checked: host and port are required', () => {
    assert.throws(() => props(syslogTcpNgSource, { port: '5140' }), /source r1: host is required/);
    assert.throws(
      () => props(syslogUdpNgSource, { host: '127.0.0.1', port: 'x' }),
      /port must be an integer, got "x"/,
    );
  });

  const ngCerts = certSet();

  it('syslogtcp with ssl and a PEM keystore serves TLS clients and drops plain-text ones', {
    skip: peerSkip('openssl'),
  }, async () => {
    const ctx = testContext();
    const src = syslogTcpNgSource.create(
      props(syslogTcpNgSource, {
        host: '127.0.0.1',
        port: '0',
        ssl: 'true',
        keystore: ngCerts!.keystore,
        'keystore-password': 'ignored',
        'exclude-protocols': 'SSLv3 TLSv1 TLSv1.1',
      }),
      ctx,
    ) as SyslogTcpSource;
    await src.open();
    try {
      await plainRefused(src.port, '<13>plain\n');
      await tlsExchange(src.port, '<13>Jan  1 00:00:00 myhost app: hello tls\n', {
        ca: ngCerts!.server.cert,
      });
      assert.match(await one(src), /hello tls/);
      assert.ok(
        ctx.logger.lines.some((l) => /source r1: syslogTcp: TLS handshake with 127\.0\.0\.1 failed/.test(l)),
      );
    } finally {
      await src.close();
    }
  });

  it('syslogtcp TLS properties are checked, naming the key', () => {
    const create = (p: Record<string, string>) =>
      syslogTcpNgSource.create(
        props(syslogTcpNgSource, { host: '127.0.0.1', port: '0', ...p }),
        testContext(),
      );
    assert.throws(() => create({ ssl: 'true' }), {
      code: 'SLUICE_CONFIG',
      message: 'source r1: ssl = true needs keystore (PEM key and certificate) or ssl-key and ssl-cert',
    });
    assert.throws(() => create({ ssl: 'true', keystore: 'ks.jks', 'keystore-type': 'JKS' }), {
      message: /^source r1: keystore-type "JKS" is not supported: Sluice reads PEM files/,
    });
    assert.throws(() => create({ ssl: 'true', 'ssl-key': 'k.pem' }), {
      message: 'source r1: ssl-key and ssl-cert go together',
    });
    assert.throws(() => create({ ssl: 'true', keystore: 'ks.pem', 'include-protocols': 'TLSv9' }), {
      message: /^source r1: unknown protocol "TLSv9"/,
    });
    // The UDP source has no TLS: the keys are unknown there (ignored with a warning).
    assert.equal(
      syslogUdpNgSource.properties.some((s) => s.name === 'ssl'),
      false,
    );
  });
});
