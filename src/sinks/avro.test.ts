import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { selfSigned } from '../../test/fixtures/tls.js';
import { testContext } from '../../test/mocks/sinks.js';
import { peerSkip } from '../../test/support/peers.js';
import { bindArgs } from '../catalog/bind.js';
import { validateDef } from '../catalog/registry.js';
import { type ArgValue, BoundArgs, type SinkDef } from '../catalog/types.js';
import { takeAck } from '../core/ack.js';
import { SiteConfig } from '../core/config.js';
import { Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import { Priority } from '../core/priority.js';
import { avroSourceHandlers } from '../rpc/avro/flume-protocol.js';
import { avroSourceProtocol, Status } from '../rpc/avro/protocols.js';
import { AvroServer } from '../rpc/avro/server.js';
import { type AvroEventSource, avroSource } from '../sources/avro.js';
import { parseSpec } from '../spec/parser.js';
import {
  type AvroEventSink,
  agentBEChain,
  agentBESink,
  avroSink,
  type BestEffortChainSink,
  parseCollector,
  rpcSink,
} from './avro.js';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

function ctx(overrides: Record<string, string> = {}) {
  const c = testContext({ config: SiteConfig.defaults().with(overrides), nodeName: 'n1' });
  return { ctx: c, logger: c.logger };
}

/** What each test source delivered (acked ok, so its sender heard OK), in order. */
const received = new WeakMap<AvroEventSource, Event[]>();

/**
 * A receiving source. Unless `manual`, a node behind it delivers every batch as it arrives (a sender's
 * answer comes with the delivery, docs/acks.md); a manual one delivers only what the test `pull`s.
 */
async function source(args: Record<string, ArgValue> = {}, manual = false): Promise<AvroEventSource> {
  const src = avroSource.build(
    BoundArgs.of('avroSource', { port: 0, bind: '127.0.0.1', ...args }),
    ctx().ctx,
  ) as AvroEventSource;
  await src.open();
  received.set(src, []);
  cleanup.push(() => src.close());
  if (!manual)
    void (async () => {
      while (await pull(src));
    })();
  return src;
}

/** Delivers the next batch of `src`; false once it closed. */
async function pull(src: AvroEventSource): Promise<boolean> {
  const b = await src.next();
  if (b === null) return false;
  takeAck(b)?.ok();
  received.get(src)!.push(...b);
  return true;
}

async function sink(
  def: SinkDef,
  args: Record<string, ArgValue | ArgValue[]>,
  overrides: Record<string, string> = {},
) {
  const { ctx: c, logger } = ctx(overrides);
  const s = def.build(BoundArgs.of(def.name, args), c);
  await s.open();
  cleanup.push(() => s.close());
  return { sink: s, logger };
}

/** The events a source delivered once `n` arrived (bounded by a deadline); they are taken. */
async function drain(src: AvroEventSource, n: number, ms = 30_000): Promise<Event[]> {
  const got = received.get(src)!;
  const deadline = Date.now() + ms;
  while (got.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return got.splice(0);
}

async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('avroSink -> avroSource: 10,000 events in order with every field, batches split and pipelined', async () => {
  const src = await source({ queueSize: 100_000 });
  const { sink: s } = await sink(avroSink, { host: '127.0.0.1', port: src.port, batchSize: 100, window: 4 });
  const events = Array.from({ length: 10_000 }, (_, i) =>
    Event.of(`event ${i}`, {
      timestamp: 1_000_000 + i,
      nanos: i,
      priority: Priority.DEBUG,
      host: 'a1',
      attrs: { n: String(i) },
    }),
  );
  for (let i = 0; i < events.length; i += 2500) await s.append(events.slice(i, i + 2500));
  const got = await drain(src, 10_000);
  assert.equal(got.length, 10_000);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    assert.equal(g.body.toString(), `event ${i}`);
    assert.equal(g.timestamp, 1_000_000 + i);
    assert.equal(g.nanos, i);
    assert.equal(g.priority, Priority.DEBUG);
    assert.equal(g.getAttrString('n'), String(i));
  }
});

test('rpcSink to an unreachable port rejects with a retriable error naming host:port', async () => {
  const port = await deadPort();
  const { sink: s } = await sink(rpcSink, { host: '127.0.0.1', port });
  await assert.rejects(
    Promise.resolve(s.append([Event.of('x')])),
    (e: Error & { code?: string; retriable?: boolean }) =>
      e.code === 'SLUICE_RPC' &&
      e.retriable === true &&
      e.message === `cannot connect to 127.0.0.1:${port}: connection refused`,
  );
});

test('a FAILED status rejects the append', async () => {
  const server = new AvroServer({
    protocol: avroSourceProtocol,
    handlers: avroSourceHandlers(() => Status.FAILED),
    port: 0,
    host: '127.0.0.1',
    logger: memoryLogger(),
  });
  await server.listen();
  cleanup.push(() => server.close());
  const { sink: s } = await sink(avroSink, { host: '127.0.0.1', port: server.port });
  await assert.rejects(Promise.resolve(s.append([Event.of('x')])), {
    message: `127.0.0.1:${server.port} answered FAILED`,
  });
});

test('agentBEChain: fails over to the next collector, drops when none answers, returns to the primary', async () => {
  const primaryPort = await deadPort();
  const backup = await source();
  const { sink: s, logger } = await sink(agentBEChain, {
    collectors: [`127.0.0.1:${primaryPort}`, `127.0.0.1:${backup.port}`],
    connectTimeout: 1000,
  });
  const chain = s as BestEffortChainSink;
  await s.append([Event.of('one')]);
  assert.equal((await drain(backup, 1))[0]!.body.toString(), 'one');
  assert.equal(chain.stats.failovers, 1);
  assert.ok(
    logger.lines.some((l) => l.includes(`collector 127.0.0.1:${primaryPort} unreachable (ECONNREFUSED)`)),
  );
  // All down: dropped and counted; append still resolves.
  await backup.close();
  await s.append([Event.of('lost'), Event.of('lost')]);
  assert.equal(chain.stats.dropped, 2);
  assert.ok(logger.lines.some((l) => /no collector available: dropping/.test(l)));
  // The primary comes up: once its backoff has passed it takes the traffic again.
  const primary = await source({ port: primaryPort });
  // Deadlines against a hang, not speed bounds: a loaded machine runs the backoff timers late.
  const deadline = Date.now() + 30_000;
  while (chain.stats.sent < 2 && Date.now() < deadline) {
    await s.append([Event.of('back')]);
    if (chain.stats.sent < 2) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await drain(primary, 1))[0]!.body.toString(), 'back');
  assert.ok(logger.lines.some((l) => /delivering again after dropping \d+ events/.test(l)));
});

test('agentBESink: a collector down is logged once with its cause and once when back, with the failed attempts', async () => {
  const port = await deadPort();
  const { sink: s, logger } = await sink(agentBESink, { host: '127.0.0.1', port, connectTimeout: 1000 });
  const be = s as BestEffortChainSink;
  // Appends until the client made several real connection attempts (it skips the collector while
  // its reconnect backoff runs, 100 ms doubling).
  const deadline = Date.now() + 10_000;
  while (be.stats.dropped < 40 && Date.now() < deadline) {
    await s.append([Event.of('x')]);
    await new Promise((r) => setTimeout(r, 20));
  }
  const down = logger.lines.filter((l) => l.includes('unreachable'));
  assert.deepEqual(down, [
    `WARN agentBESink: collector 127.0.0.1:${port} unreachable (ECONNREFUSED), retrying with backoff`,
  ]);
  assert.equal(logger.lines.filter((l) => /no collector available/.test(l)).length, 1);
  const src = await source({ port });
  const back = Date.now() + 30_000;
  while (be.stats.sent === 0 && Date.now() < back) {
    await s.append([Event.of('y')]);
    if (be.stats.sent === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(be.stats.sent, 1);
  const up = logger.lines.filter((l) => l.includes('reachable again'));
  assert.equal(up.length, 1);
  assert.match(
    up[0]!,
    new RegExp(`collector 127.0.0.1:${port} reachable again after ([2-9]|\\d\\d+) failed attempts`),
  );
  assert.equal(
    logger.lines.filter((l) => l.includes('unreachable')).length,
    1,
    'warned again while retrying',
  );
  assert.deepEqual(be.counts(), { delivered: 1, dropped: be.stats.dropped, retried: 0 });
  await drain(src, 1);
});

test('agentBESink takes its collector from flume.collector.event.host and flume.collector.port', async () => {
  const src = await source();
  const { sink: s } = await sink(
    agentBESink,
    {},
    { 'flume.collector.event.host': '127.0.0.1', 'flume.collector.port': String(src.port) },
  );
  await s.append([Event.of('be')]);
  assert.equal((await drain(src, 1))[0]!.body.toString(), 'be');
  assert.equal((s as BestEffortChainSink).stats.sent, 1);
});

test('TLS, deflate and token configured by keyword arguments on both components', {
  skip: peerSkip('openssl'),
}, async () => {
  const cert = selfSigned();
  assert.ok(cert, 'openssl could not make a test certificate');
  const src = await source({
    keyFile: cert.keyFile,
    certFile: cert.certFile,
    compression: 'deflate',
    token: 'tok',
  });
  const { sink: s } = await sink(avroSink, {
    host: '127.0.0.1',
    port: src.port,
    caFile: cert.certFile,
    compression: 'deflate',
    token: 'tok',
  });
  await s.append([Event.of('secret')]);
  assert.equal((await drain(src, 1))[0]!.body.toString(), 'secret');
  const { sink: wrong } = await sink(avroSink, {
    host: '127.0.0.1',
    port: src.port,
    caFile: cert.certFile,
    compression: 'deflate',
    token: 'nope',
  });
  await assert.rejects(
    Promise.resolve(wrong.append([Event.of('x')])),
    /connection refused: wrong sluice\.token/,
  );
});

test('parseCollector: host, host:port, [v6]:port; bad input names the field', () => {
  assert.deepEqual(parseCollector('c1', 35853, 'x', 'f'), { host: 'c1', port: 35853 });
  assert.deepEqual(parseCollector('c1:1234', 35853, 'x', 'f'), { host: 'c1', port: 1234 });
  assert.deepEqual(parseCollector('[::1]:99', 35853, 'x', 'f'), { host: '::1', port: 99 });
  assert.throws(() => parseCollector('a:b:c', 1, 'agentBEChain', 'collectors'), {
    code: 'SLUICE_SPEC_BAD_ARGUMENT',
    message: '"a:b:c" is not host or host:port',
  });
  assert.throws(() => parseCollector('h:99999', 1, 'x', 'f'), { code: 'SLUICE_SPEC_BAD_ARGUMENT' });
});

test('definitions pass the catalog check; spec text binds with site-config defaults', () => {
  for (const d of [avroSink, rpcSink, agentBESink, agentBEChain]) validateDef(d);
  const config = SiteConfig.defaults().with({
    'flume.collector.event.host': 'c9',
    'flume.collector.port': '4000',
  });
  const c = { ...ctx().ctx, config };
  const [n1] = parseSpec('a : null | agentBESink ;').nodes;
  const call = (n1!.sink as { call: Parameters<typeof bindArgs>[1] }).call;
  const be = agentBESink.build(bindArgs(agentBESink, call, undefined, config), c) as BestEffortChainSink;
  assert.deepEqual(be.collectors, [{ host: 'c9', port: 4000 }]);
  const [n2] = parseSpec('a : null | agentBEChain("c1", "c2:99") ;').nodes;
  const call2 = (n2!.sink as { call: Parameters<typeof bindArgs>[1] }).call;
  const chain = agentBEChain.build(
    bindArgs(agentBEChain, call2, undefined, config),
    c,
  ) as BestEffortChainSink;
  assert.deepEqual(chain.collectors, [
    { host: 'c1', port: 4000 },
    { host: 'c2', port: 99 },
  ]);
  const [n3] = parseSpec('a : null | rpcSink("h", batchSize=7, compression="deflate") ;').nodes;
  const call3 = (n3!.sink as { call: Parameters<typeof bindArgs>[1] }).call;
  const rpc = rpcSink.build(bindArgs(rpcSink, call3, undefined, config), c) as AvroEventSink;
  assert.deepEqual(rpc.target, { host: 'h', port: 4000 });
  assert.equal(rpc.opts.batchSize, 7);
  assert.equal(rpc.opts.compression, 'deflate');
});

test('agentBESink streams while its collector answers: append returns before the answer, bounded, close delivers all', async () => {
  // queueSize 1 and nobody delivering: the collector holds its answers, as a busy collector would.
  const src = await source({ queueSize: 1 }, true);
  const { sink: s } = await sink(agentBESink, { host: '127.0.0.1', port: src.port });
  const be = s as BestEffortChainSink;
  // Connecting: the first append waits for its answer.
  const first = s.append([Event.of('b0')]);
  await pull(src);
  await first;
  assert.equal(be.stats.sent, 1);
  // Connected and answered OK: the next batches are handed over without waiting...
  assert.equal(s.append([Event.of('b1')]), undefined);
  assert.equal(s.append([Event.of('b2')]), undefined);
  // ...up to three unanswered; the third makes append wait for room.
  const third = s.append([Event.of('b3')]);
  assert.ok(third instanceof Promise);
  let settled = false;
  void third.then(() => {
    settled = true;
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(settled, false, 'append waits while three batches are unanswered');
  const delivering = (async () => {
    for (let i = 0; i < 3; i++) await pull(src);
  })();
  const got = await drain(src, 4);
  await delivering;
  await third;
  await s.close();
  assert.deepEqual(
    got.map((e) => e.body.toString()),
    ['b0', 'b1', 'b2', 'b3'],
  );
  assert.equal(be.stats.sent, 4);
  assert.equal(be.stats.dropped, 0);
});

test('agentBESink: a batch handed over while streaming that then fails is counted as dropped', async () => {
  const src = await source({ queueSize: 1 }, true);
  const { sink: s } = await sink(agentBESink, { host: '127.0.0.1', port: src.port, requestTimeout: 300 });
  const be = s as BestEffortChainSink;
  const first = s.append([Event.of('ok')]);
  await pull(src);
  await first;
  // The collector delivers nothing more, so this batch's answer never comes: the request times out.
  assert.equal(s.append([Event.of('late'), Event.of('late')]), undefined);
  await s.close();
  assert.equal(be.stats.sent, 1);
  assert.equal(be.stats.dropped, 2);
});
