import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { ComponentProperties, type RawProps } from '../catalog/properties.js';
import { memoryChannel } from '../channels/memory.js';
import { takeAck } from '../core/ack.js';
import { bodyTexts, Event } from '../core/event.js';
import { replicateTo } from '../flow/agent/selectors.js';
import { SourceRunner } from '../flow/agent/source-runner.js';
import { FlumeRpcClient } from '../rpc/avro/flume-protocol.js';
import { cipherList, opensslCipher, protocolRange } from '../rpc/avro/ng-tls.js';
import { Status } from '../rpc/avro/protocols.js';
import type { AvroEventSource } from './avro.js';
import { ipAllowed, ngAvroSource, parseIpFilterRules } from './avro-ng.js';

const ctx = () => testContext({ nodeName: 'a1' });
const make = (props: RawProps) =>
  ngAvroSource.create(new ComponentProperties('source r1', ngAvroSource.properties, props), ctx());

test('appendBatch is answered OK once its ack settles ok (the put committed), FAILED when it fails and at close', {
  timeout: 120_000,
}, async () => {
  const src = make({ bind: '127.0.0.1', port: '0' }) as AvroEventSource;
  await src.open();
  const a = new FlumeRpcClient({ host: '127.0.0.1', port: src.port });
  const b = new FlumeRpcClient({ host: '127.0.0.1', port: src.port });
  const answers: string[] = [];
  const first = a.appendBatch([Event.of('a1'), Event.of('a2')]).then((s) => answers.push(`a:${s}`));
  const batch = (await src.next())!;
  assert.deepEqual(bodyTexts(batch), ['a1', 'a2']);
  const second = b.appendBatch([Event.of('b1')]).then((s) => answers.push(`b:${s}`));
  const next = (await src.next())!;
  assert.deepEqual(bodyTexts(next), ['b1']);
  await new Promise((r) => setTimeout(r, 100));
  // Pulling again says nothing: both batches are in flight.
  assert.equal(answers.length, 0, 'answered before the batch was committed');
  takeAck(batch)!.ok();
  await first;
  assert.deepEqual(answers, [`a:${Status.OK}`]);
  // A put that failed: its sender hears FAILED and resends.
  takeAck(next)!.fail(new Error('channel refused'));
  await second;
  assert.deepEqual(answers, [`a:${Status.OK}`, `b:${Status.FAILED}`]);
  const resent = b.appendBatch([Event.of('b1')]).then((s) => answers.push(`b again:${s}`));
  assert.deepEqual(bodyTexts((await src.next())!), ['b1']);
  // That one is in hand when the agent stops and is never acked: FAILED after the grace period.
  const closing = src.close();
  await resent;
  assert.equal(answers.at(-1), `b again:${Status.FAILED}`);
  await closing;
  assert.equal(await src.next(), null);
  assert.deepEqual([src.stats.delivered, src.stats.failed], [2, 2]);
  await Promise.all([a.close(), b.close()]);
});

test('ipFilterRules: first match decides, unmatched peers are let in, bad rules are config errors', () => {
  const rules = parseIpFilterRules('allow:ip:127.*, allow:name:localhost ,deny:ip:10.0.*');
  assert.ok(Array.isArray(rules));
  assert.equal(ipAllowed(rules, '::ffff:127.0.0.1').allowed, true);
  assert.equal(ipAllowed(rules, '10.0.3.4').allowed, false);
  assert.equal(ipAllowed(rules, '192.168.1.1').allowed, true);
  const local = parseIpFilterRules('deny:name:localhost,allow:ip:*') as ReturnType<typeof parseIpFilterRules>;
  assert.ok(Array.isArray(local));
  assert.deepEqual(ipAllowed(local, '127.0.0.1'), { allowed: false, rule: 'deny:name:localhost' });
  assert.equal(ipAllowed(local, '10.1.1.1').allowed, true);
  assert.match(parseIpFilterRules('permit:ip:*') as string, /not <allow\|deny>:<ip\|name>:<pattern>/);
  assert.throws(
    () => make({ bind: '0.0.0.0', port: '4141', ipFilter: 'true', ipFilterRules: 'allow:host:x' }),
    /source r1: rule "allow:host:x" is not/,
  );
});

test('property errors name the key: JKS keystore, ssl without a key, port range, both keystore and ssl-key', () => {
  assert.throws(
    () => make({ bind: '0.0.0.0', port: '4141', ssl: 'true', keystore: '/k.jks', 'keystore-type': 'JKS' }),
    /keystore-type "JKS" is not supported: Sluice reads PEM files/,
  );
  assert.throws(() => make({ bind: '0.0.0.0', port: '4141', ssl: 'true' }), /ssl = true needs keystore/);
  assert.throws(() => make({ bind: '0.0.0.0', port: '70000' }), /port must be between 0 and 65535/);
  assert.throws(() => make({ bind: '0.0.0.0' }), /port is required/);
  assert.throws(
    () => make({ bind: '0.0.0.0', port: '1', keystore: '/a.pem', 'ssl-key': '/k.pem', 'ssl-cert': '/c.pem' }),
    /either keystore or ssl-key and ssl-cert/,
  );
  assert.throws(
    () => make({ bind: '0.0.0.0', port: '1', 'compression-type': 'gzip' }),
    /compression-type must be one of none, deflate/,
  );
  // threads is accepted (and ignored).
  make({ bind: '0.0.0.0', port: '1', threads: '8' });
});

test('JSSE protocol and cipher names map to Node TLS options', () => {
  assert.deepEqual(protocolRange([], ['SSLv3', 'TLSv1', 'TLSv1.1']).limits, {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
  });
  assert.deepEqual(protocolRange(['TLSv1.2'], []).limits, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  assert.match(protocolRange(['TLSv1.2'], ['TLSv1.2']).problem!, /no TLS version/);
  assert.match(protocolRange(['TLSv9'], []).problem!, /unknown protocol "TLSv9"/);
  assert.ok(protocolRange(['TLSv1', 'TLSv1.3'], []).gap);
  assert.equal(opensslCipher('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), 'ECDHE-RSA-AES128-GCM-SHA256');
  assert.equal(opensslCipher('TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'), 'ECDHE-ECDSA-AES256-SHA384');
  assert.equal(opensslCipher('TLS_DHE_RSA_WITH_AES_128_CBC_SHA'), 'DHE-RSA-AES128-SHA');
  assert.equal(opensslCipher('TLS_RSA_WITH_AES_128_GCM_SHA256'), 'AES128-GCM-SHA256');
  assert.equal(opensslCipher('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'), 'ECDHE-RSA-CHACHA20-POLY1305');
  assert.equal(opensslCipher('TLS_AES_128_GCM_SHA256'), 'TLS_AES_128_GCM_SHA256');
  assert.equal(cipherList([], []), undefined);
  assert.match(cipherList([], ['TLS_RSA_WITH_AES_128_GCM_SHA256'])!, /:!AES128-GCM-SHA256$/);
});

test('a full channel: the sender is answered FAILED within request-timeout instead of never', {
  timeout: 120_000,
}, async () => {
  const c = ctx();
  const src = ngAvroSource.create(
    new ComponentProperties('source r1', ngAvroSource.properties, {
      bind: '127.0.0.1',
      port: '0',
      'request-timeout': '300',
    }),
    c,
  ) as AvroEventSource;
  // A memory channel of one event that nothing takes from: the runner retries its put forever.
  const channel = memoryChannel.create(
    { capacity: '1', transactionCapacity: '1', 'keep-alive': '0.05' },
    {
      name: 'c1',
      config: c.config,
      logger: c.logger,
    },
  );
  await channel.start();
  const runner = new SourceRunner('r1', src, [], replicateTo([channel]), c.logger, 20);
  await runner.start();
  const client = new FlumeRpcClient({ host: '127.0.0.1', port: src.port, requestTimeoutMs: 30_000 });
  try {
    assert.equal(await client.appendBatch([Event.of('fills the channel')]), Status.OK);
    const started = Date.now();
    assert.equal(await client.appendBatch([Event.of('no room')]), Status.FAILED);
    const took = Date.now() - started;
    // The FAILED answer is the server's timeout (the client's own is 30 s); the upper bound leaves room
    // for a loaded machine.
    assert.ok(took >= 250 && took < 20_000, `FAILED after the 300 ms timeout, not ${took} ms`);
    assert.equal(src.stats.timedOut, 1);
    assert.equal(c.logger.lines.filter((l) => /answered FAILED/.test(l)).length, 1);
    // The connection stays usable: the next batch is queued behind the stuck one and times out too.
    assert.equal(await client.appendBatch([Event.of('still no room')]), Status.FAILED);
    assert.equal(src.stats.timedOut, 2);
  } finally {
    await client.close();
    await channel.stop();
    await runner.stop();
  }
});

test('connection limits and request-timeout are properties with documented defaults', () => {
  const names = ngAvroSource.properties.map((p) => p.name);
  for (const n of ['max-connections', 'idle-timeout', 'read-timeout', 'handshake-timeout', 'request-timeout'])
    assert.ok(names.includes(n), n);
  const src = make({
    bind: '127.0.0.1',
    port: '0',
    'max-connections': '3',
    'idle-timeout': '500',
  }) as AvroEventSource;
  assert.equal(src.opts.limits?.maxConnections, 3);
  assert.equal(src.opts.limits?.idleTimeoutMs, 500);
  assert.equal(src.opts.requestTimeoutMs, 15_000, 'flume.avro.request.timeout by default');
});
