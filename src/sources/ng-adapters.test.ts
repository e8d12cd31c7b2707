import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { test } from 'node:test';
import { certSet, plainRefused, tlsExchange } from '../../test/fixtures/tls-peers.js';
import { peerSkip } from '../../test/support/peers.js';
import { pull, testContext } from '../../test/support/source-helpers.js';
import { ComponentProperties } from '../catalog/properties.js';
import { acked, takeAck } from '../core/ack.js';
import { type Batch, bodyTexts, Event } from '../core/event.js';
import type { EventSource } from '../core/pipeline.js';
import { splitCommandLine } from './exec.js';
import {
  execCommandLine,
  execNgSource,
  Rebatch,
  syslogTcpNgSource,
  syslogUdpNgSource,
} from './ng-adapters.js';
import type { SyslogTcpSource, SyslogUdpSource } from './syslog.js';

const props = (def: typeof execNgSource, p: Record<string, string>) =>
  new ComponentProperties('source r1', def.properties, p);

test('exec is refused unless the agent allows it, naming the command', () => {
  assert.throws(
    () => execNgSource.create(props(execNgSource, { command: 'echo hi' }), testContext(false)),
    (e: unknown) =>
      e instanceof Error && /source r1: will not run "echo hi": exec sources are disabled/.test(e.message),
  );
});

test('a shell command keeps its quotes and pipes; batches follow batchSize', async () => {
  const cmd = `printf 'l1\\nl2\\nl3\\nl4\\nl5\\n' | tr l "L"`;
  assert.deepEqual(splitCommandLine(execCommandLine(cmd, '/bin/sh -c'), {}), ['/bin/sh', '-c', cmd]);
  const src = execNgSource.create(
    props(execNgSource, { command: cmd, shell: '/bin/sh -c', batchSize: '2' }),
    testContext(true),
  ) as Rebatch;
  await src.open();
  const r = await pull(src, { timeoutMs: 5000 });
  await src.close();
  assert.ok(r.drained);
  assert.deepEqual(
    r.events.map((e) => e.body.toString()),
    ['L1', 'L2', 'L3', 'L4', 'L5'],
  );
  assert.deepEqual(r.batches, [2, 2, 1]);
});

/** A source handing out given batches, each with an ack recording its outcome. */
function acking(batches: string[][], outcomes: string[]): EventSource {
  let i = 0;
  return {
    open: async () => {},
    close: async () => {},
    next: () => {
      if (i >= batches.length) return null;
      const k = i++;
      return acked(
        batches[k]!.map((b) => Event.of(b)),
        (e) => outcomes.push(`${k}: ${e?.message ?? 'ok'}`),
      );
    },
  };
}

test('Rebatch gives each slice its own ack: the whole is ok when every slice is, failed at the first failed slice', async () => {
  const outcomes: string[] = [];
  const src = new Rebatch(acking([['a', 'b', 'c', 'd', 'e'], ['f'], ['g', 'h', 'i']], outcomes), 2);
  const slices: Batch[] = [];
  for (let b = src.next(); b !== null; b = src.next()) slices.push(b as Batch);
  assert.deepEqual(slices.map(bodyTexts), [['a', 'b'], ['c', 'd'], ['e'], ['f'], ['g', 'h'], ['i']]);
  const acks = slices.map((b) => takeAck(b)!);
  acks[2]!.ok();
  acks[0]!.ok();
  assert.deepEqual(outcomes, []);
  acks[1]!.ok();
  acks[3]!.ok();
  acks[4]!.fail(new Error('channel refused'));
  acks[5]!.ok();
  assert.deepEqual(outcomes, ['0: ok', '1: ok', '2: channel refused']);

  // Slices not handed out when the source closes fail.
  const left: string[] = [];
  const part = new Rebatch(acking([['x', 'y', 'z']], left), 1);
  takeAck(part.next() as Batch)!.ok();
  await part.close();
  assert.deepEqual(left, ['0: source closed before the batch was handed out']);
});

async function one(src: EventSource): Promise<string> {
  const r = await pull(src, { want: 1, timeoutMs: 3000 });
  assert.equal(r.events.length, 1, 'one event within 3 s');
  return r.events[0]!.body.toString();
}

test('syslogtcp listens on host:port and turns each line into an event', async () => {
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

test('syslogudp takes one message per datagram', async () => {
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

test('syslog properties are checked: host and port are required', () => {
  assert.throws(() => props(syslogTcpNgSource, { port: '5140' }), /source r1: host is required/);
  assert.throws(
    () => props(syslogUdpNgSource, { host: '127.0.0.1', port: 'x' }),
    /port must be an integer, got "x"/,
  );
});

const certs = certSet();

test('syslogtcp with ssl and a PEM keystore serves TLS clients and drops plain-text ones', {
  skip: peerSkip('openssl'),
}, async () => {
  const ctx = testContext();
  const src = syslogTcpNgSource.create(
    props(syslogTcpNgSource, {
      host: '127.0.0.1',
      port: '0',
      ssl: 'true',
      keystore: certs!.keystore,
      'keystore-password': 'ignored',
      'exclude-protocols': 'SSLv3 TLSv1 TLSv1.1',
    }),
    ctx,
  ) as SyslogTcpSource;
  await src.open();
  try {
    await plainRefused(src.port, '<13>plain\n');
    await tlsExchange(src.port, '<13>Jan  1 00:00:00 myhost app: hello tls\n', { ca: certs!.server.cert });
    assert.match(await one(src), /hello tls/);
    assert.ok(
      ctx.logger.lines.some((l) => /source r1: syslogTcp: TLS handshake with 127\.0\.0\.1 failed/.test(l)),
    );
  } finally {
    await src.close();
  }
});

test('syslogtcp TLS properties are checked, naming the key', () => {
  const create = (p: Record<string, string>) =>
    syslogTcpNgSource.create(props(syslogTcpNgSource, { host: '127.0.0.1', port: '0', ...p }), testContext());
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
