import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { certSet, plainRefused } from '../../test/fixtures/tls-peers.js';
import { testContext } from '../../test/mocks/sinks.js';
import { peer, peerSkip } from '../../test/support/peers.js';
import { waitFor } from '../../test/support/wait.js';
import { ComponentProperties } from '../catalog/properties.js';
import { SiteConfig } from '../core/config.js';
import { SluiceError } from '../core/errors.js';
import { freePort } from '../core/ports.js';
import { Agent } from '../flow/agent/agent.js';
import { builtinAgentCatalog } from '../flow/agent/catalog.js';
import { SparkPoller, type SparkPollerOptions } from '../rpc/avro/spark-poller.js';
import { SPARK_STOPPED, type SparkSink, sparkSink } from './spark.js';

export { freePort };

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const ctx = () => testContext({ nodeName: 'a1' });

/** A port free right now (the sink binds it a moment later; agents have no way to report port 0). */
function sparkAgent(port: number, total: number, extra: string[] = []): Agent {
  const text = [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    'a1.sources.r1.type = seq',
    `a1.sources.r1.totalEvents = ${total}`,
    'a1.sources.r1.batchSize = 50',
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    'a1.channels.c1.capacity = 1000',
    'a1.channels.c1.transactionCapacity = 100',
    'a1.channels.c1.keep-alive = 0',
    'a1.sinks.k1.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'a1.sinks.k1.hostname = 127.0.0.1',
    `a1.sinks.k1.port = ${port}`,
    'a1.sinks.k1.channel = c1',
    'a1.sinks.k1.backoffInterval = 20',
    ...extra,
  ].join('\n');
  const agent = Agent.fromText(text, 'spark.conf', 'a1', builtinAgentCatalog(), ctx());
  cleanup.push(() => agent.stop());
  return agent;
}

function poller(port: number, extra: Partial<SparkPollerOptions> = {}): SparkPoller {
  const p = new SparkPoller({ host: '127.0.0.1', port, ...extra });
  cleanup.push(() => p.close());
  return p;
}

const bodies = (b: { events: { body: Buffer }[] }) => b.events.map((e) => e.body.toString());

test('five concurrent pollers through an agent: every event exactly once, batches capped at transactionCapacity', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const total = 3000;
  const agent = sparkAgent(port, total, ['a1.sinks.k1.threads = 3']);
  await agent.start();
  const seen: string[] = [];
  const seqs = new Set<string>();
  let largest = 0;
  let stopMessages = 0;
  let acked = 0;
  const pollers = Array.from({ length: 5 }, async () => {
    const p = poller(port);
    for (;;) {
      const b = await p.getEventBatch(1000);
      if (b.errorMsg === SPARK_STOPPED) {
        stopMessages++;
        break;
      }
      assert.equal(b.errorMsg, '');
      assert.match(b.sequenceNumber, /^[A-Za-z0-9]{8}\d+$/);
      seqs.add(b.sequenceNumber);
      largest = Math.max(largest, b.events.length);
      seen.push(...bodies(b));
      await p.ack(b.sequenceNumber);
      acked += b.events.length;
    }
  });
  // Stop only once every ack was answered: a stop while the last ack is in flight rolls that batch
  // back, which is right for the sink and wrong for this count.
  await waitFor(
    () => acked >= total,
    () => `${total} events acked (${acked} so far)`,
    30_000,
  );
  // Pollers still waiting on the drained channel are answered by the stop.
  await agent.stop();
  await Promise.all(pollers);
  assert.ok(stopMessages > 0);
  assert.equal(seen.length, total, 'lost or duplicated events');
  assert.equal(new Set(seen).size, total);
  assert.deepEqual(
    seen.map(Number).sort((a, b) => a - b),
    Array.from({ length: total }, (_, i) => i),
  );
  assert.ok(largest <= 100, `a batch of ${largest} exceeds transactionCapacity 100`);
  assert.equal(seqs.size >= total / 100, true);
  const prefixes = new Set([...seqs].map((s) => s.slice(0, 8)));
  assert.equal(prefixes.size, 1, 'one prefix for the life of the sink');
  assert.equal(agent.channel('c1')!.size, 0);
});

test('nack and a missing ack (timeout) deliver the same events again, in order; unknown seq is silent', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const agent = sparkAgent(port, 40, ['a1.sinks.k1.timeout = 1']);
  await agent.start();
  const p = poller(port);
  const first = await p.getEventBatch(10);
  assert.equal(first.sequenceNumber.slice(8), '1');
  await p.nack(first.sequenceNumber);
  const again = await p.getEventBatch(10);
  assert.deepEqual(bodies(again), bodies(first), 'nacked events come back first, in order');
  assert.notEqual(again.sequenceNumber, first.sequenceNumber);
  await p.ack('nosuchSEQ42');
  await p.nack(first.sequenceNumber);
  // Not acked: after timeout (1 s) it is rolled back (its 10 events are back in the channel); a late
  // ack then does nothing.
  await waitFor(() => agent.channel('c1')!.size === 40, 'the unacked batch rolled back by the timeout');
  await p.ack(again.sequenceNumber);
  const third = await p.getEventBatch(10);
  assert.deepEqual(bodies(third), bodies(first), 'timed-out events are delivered again');
  await p.ack(third.sequenceNumber);
  const rest: string[] = [];
  while (rest.length < 30) {
    const b = await p.getEventBatch(100);
    rest.push(...bodies(b));
    await p.ack(b.sequenceNumber);
  }
  assert.deepEqual(
    [...bodies(third), ...rest].map(Number),
    Array.from({ length: 40 }, (_, i) => i),
  );
  await agent.stop();
});

test('a poller that disconnects mid-transaction loses nothing: its events come again after the timeout', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const agent = sparkAgent(port, 500, ['a1.sinks.k1.timeout = 1']);
  await agent.start();
  const victim = poller(port);
  const lost = await victim.getEventBatch(50);
  assert.equal(lost.events.length, 50);
  // The connection is dropped without an ack.
  await victim.close();
  const p = poller(port);
  const got: string[] = [];
  const deadline = Date.now() + 30_000;
  while (new Set(got).size < 500 && Date.now() < deadline) {
    const b = await p.getEventBatch(100);
    got.push(...bodies(b));
    await p.ack(b.sequenceNumber);
  }
  assert.equal(got.length, 500, 'every event once after the redelivery');
  assert.equal(new Set(got).size, 500);
  for (const b of bodies(lost)) assert.ok(got.includes(b), `event ${b} was lost`);
  await agent.stop();
});

test('threads bounds open transactions; stop answers waiting polls with the stop message', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const agent = sparkAgent(port, 20, ['a1.sinks.k1.threads = 1']);
  await agent.start();
  const a = poller(port);
  const b = poller(port);
  const first = await a.getEventBatch(5);
  let secondDone = false;
  const second = b.getEventBatch(5).then((r) => {
    secondDone = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(secondDone, false, 'a second transaction opened beyond threads = 1');
  await a.ack(first.sequenceNumber);
  const sb = await second;
  assert.deepEqual(bodies(sb), ['5', '6', '7', '8', '9']);
  await b.ack(sb.sequenceNumber);
  // Drain, then wait on an empty channel: stop must answer it.
  for (let got = 10; got < 20; ) {
    const r = await a.getEventBatch(100);
    got += r.events.length;
    await a.ack(r.sequenceNumber);
  }
  const waiting = b.getEventBatch(5);
  await new Promise((r) => setTimeout(r, 100));
  await agent.stop();
  const last = await waiting;
  assert.equal(last.errorMsg, SPARK_STOPPED);
  assert.equal(last.sequenceNumber, '');
  assert.equal(last.events.length, 0);
});

test("the seeds' SparkSink configs run; a failover group of SparkSinks is refused with a clear error", {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  // Spark integration guide, completed with a source and the channel (placeholders filled).
  const guide = [
    'agent.sources = seq',
    'agent.channels = memoryChannel',
    'agent.sources.seq.type = seq',
    'agent.sources.seq.totalEvents = 10',
    'agent.sources.seq.channels = memoryChannel',
    'agent.channels.memoryChannel.type = memory',
    'agent.sinks = spark',
    'agent.sinks.spark.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'agent.sinks.spark.hostname = 127.0.0.1',
    `agent.sinks.spark.port = ${port}`,
    'agent.sinks.spark.channel = memoryChannel',
  ].join('\n');
  const a = Agent.fromText(guide, 'guide.conf', 'agent', builtinAgentCatalog(), ctx());
  cleanup.push(() => a.stop());
  await a.start();
  const p = poller(port);
  // Spark asks for 1000; the default memory channel allows 100 per transaction: served, capped.
  const got = await p.getEventBatch(1000);
  assert.equal(got.errorMsg, '');
  assert.ok(got.events.length >= 1 && got.events.length <= 10);
  await p.ack(got.sequenceNumber);
  await p.close();
  await a.stop();

  // Sink reference: hostname 0.0.0.0, threads 5, timeout 30, backoffInterval 200 (port 9999 replaced).
  const port2 = await freePort();
  const reference = [
    'agent.sources = seq',
    'agent.channels = memory-channel',
    'agent.sinks = spark-sink',
    'agent.sources.seq.type = seq',
    'agent.sources.seq.totalEvents = 10',
    'agent.sources.seq.channels = memory-channel',
    'agent.channels.memory-channel.type = memory',
    'agent.sinks.spark-sink.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'agent.sinks.spark-sink.hostname = 0.0.0.0',
    `agent.sinks.spark-sink.port = ${port2}`,
    'agent.sinks.spark-sink.threads = 5',
    'agent.sinks.spark-sink.timeout = 30',
    'agent.sinks.spark-sink.backoffInterval = 200',
    'agent.sinks.spark-sink.channel = memory-channel',
  ].join('\n');
  const r = Agent.fromText(reference, 'ref.conf', 'agent', builtinAgentCatalog(), ctx());
  cleanup.push(() => r.stop());
  await r.start();
  const q = poller(port2);
  const all: string[] = [];
  while (all.length < 10) {
    const b = await q.getEventBatch(1000);
    all.push(...bodies(b));
    await q.ack(b.sequenceNumber);
  }
  assert.deepEqual(
    all.map(Number),
    Array.from({ length: 10 }, (_, i) => i),
  );
  await q.close();
  await r.stop();

  const group = [
    'agent.sources = seq',
    'agent.channels = memory-channel',
    'agent.sinks = spark-sink1 spark-sink2',
    'agent.sources.seq.type = seq',
    'agent.sources.seq.channels = memory-channel',
    'agent.channels.memory-channel.type = memory',
    'agent.sinks.spark-sink1.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'agent.sinks.spark-sink1.channel = memory-channel',
    'agent.sinks.spark-sink2.type = org.apache.spark.streaming.flume.sink.SparkSink',
    'agent.sinks.spark-sink2.channel = memory-channel',
    'agent.sinks.spark-sink1.hostname = host1',
    'agent.sinks.spark-sink1.port = 9999',
    'agent.sinks.spark-sink2.hostname = host2',
    'agent.sinks.spark-sink2.port = 9999',
    'agent.sinkgroups = spark-group',
    'agent.sinkgroups.spark-group.sinks = spark-sink1 spark-sink2',
    'agent.sinkgroups.spark-group.processor.type = failover',
  ].join('\n');
  assert.throws(
    () => Agent.fromText(group, 'group.conf', 'agent', builtinAgentCatalog(), ctx()),
    (e: unknown) =>
      e instanceof SluiceError &&
      /sink group spark-group: spark-sink1 serves remote pollers itself and cannot be in a group/.test(
        e.message,
      ) &&
      e.place?.file === 'group.conf',
  );
  assert.throws(
    () =>
      Agent.fromText(
        guide.replace(`port = ${port}`, 'port = 70000'),
        'bad.conf',
        'agent',
        builtinAgentCatalog(),
        ctx(),
      ),
    /port must be between 0 and 65535, got 70000/,
  );
});

// ---- an independent poller: Apache Avro's Python implementation (see src/rpc/avro/interop.test.ts)
const peerScript = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../test/fixtures/avro_peer.py',
);
test('live: a Python Avro poller drains a SparkSink with getEventBatch/ack; a nacked batch comes again', {
  skip: peerSkip('python3-avro'),
}, async () => {
  const port = await freePort();
  const total = 250;
  const agent = sparkAgent(port, total);
  await agent.start();
  const child = spawn(peer('python3-avro'), [peerScript, 'spark', String(port), String(total)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines: { seq?: string; action?: string; bodies?: string[] }[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l)));
  // 'close', not 'exit': the last lines may still be in the pipe when the process has exited.
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  clearTimeout(killer);
  assert.equal(code, 0, stderr);
  const batches = lines.filter((l) => l.action);
  assert.equal(batches[0]!.action, 'nack');
  assert.deepEqual(batches[1]!.bodies, batches[0]!.bodies, 'the nacked batch is delivered again first');
  const acked = batches.filter((l) => l.action === 'ack').flatMap((l) => l.bodies!);
  assert.deepEqual(
    acked,
    Array.from({ length: total }, (_, i) => String(i)),
  );
  assert.equal(agent.channel('c1')!.size, 0);
  await agent.stop();
});

const certs = certSet();

test('TLS and token for Sluice pollers: the right poller drains, others are refused and the port serves on', {
  skip: peerSkip('openssl'),
  timeout: 120_000,
}, async () => {
  const { server, other } = certs!;
  const port = await freePort();
  const total = 150;
  const agent = sparkAgent(port, total, [
    'a1.sinks.k1.ssl = true',
    `a1.sinks.k1.keystore = ${certs!.keystore}`,
    'a1.sinks.k1.token = s3cret',
  ]);
  await agent.start();
  // Fast failures: no reconnect backoff and short connect timeouts for the refused pollers.
  const quick = { backoffMinMs: 1, backoffMaxMs: 1, connectTimeoutMs: 3000 };
  assert.equal(await plainRefused(port, 'not TLS at all'), 'closed');
  const plain = poller(port, quick);
  await assert.rejects(plain.getEventBatch(10), (e: unknown) => e instanceof SluiceError);
  const untrusting = poller(port, { ...quick, tls: { ca: other.cert }, token: 's3cret' });
  await assert.rejects(untrusting.getEventBatch(10), /self-signed certificate/);
  const tokenless = poller(port, { ...quick, tls: { ca: server.cert } });
  await assert.rejects(tokenless.getEventBatch(10), /connection refused: .*sluice\.token/);
  const wrong = poller(port, { ...quick, tls: { ca: server.cert }, token: 'guess' });
  await assert.rejects(wrong.getEventBatch(10), /connection refused: wrong sluice\.token/);

  const p = poller(port, { tls: { ca: server.cert }, token: 's3cret' });
  const seen: string[] = [];
  for (let i = 0; i < 100 && seen.length < total; i++) {
    const b = await p.getEventBatch(100);
    assert.equal(b.errorMsg, '');
    seen.push(...bodies(b));
    await p.ack(b.sequenceNumber);
  }
  assert.deepEqual(
    seen,
    Array.from({ length: total }, (_, i) => String(i)),
  );
  await agent.stop();
});

test('SparkSink TLS properties are checked like the avro source', () => {
  assert.throws(
    () => sparkAgent(1, 1, ['a1.sinks.k1.ssl = true']),
    (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.match(
        e.message,
        /ssl = true needs keystore \(PEM key and certificate\) or ssl-key and ssl-cert/,
      );
      assert.equal(e.place?.field, 'a1.sinks.k1.keystore');
      return true;
    },
  );
  assert.throws(
    () =>
      sparkAgent(1, 1, [
        'a1.sinks.k1.ssl = true',
        'a1.sinks.k1.keystore = k.jks',
        'a1.sinks.k1.keystore-type = JKS',
      ]),
    /keystore-type "JKS" is not supported/,
  );
});

test('hostname defaults to sluice.source.bind; the connection limits are properties', () => {
  const make = (config: SiteConfig) =>
    sparkSink.create(
      new ComponentProperties('sink k1', sparkSink.properties, { port: '0', 'max-connections': '7' }),
      testContext({ nodeName: 'a1', config }),
    ) as SparkSink;
  const local = make(SiteConfig.defaults());
  assert.equal(local.opts.hostname, '127.0.0.1');
  assert.equal(local.opts.limits?.maxConnections, 7);
  assert.equal(
    make(SiteConfig.defaults().with({ 'sluice.source.bind': '0.0.0.0' })).opts.hostname,
    '0.0.0.0',
  );
});
