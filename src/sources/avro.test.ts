import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { bindArgs } from '../catalog/bind.js';
import { validateDef } from '../catalog/registry.js';
import { type ArgValue, BoundArgs, type SourceDef } from '../catalog/types.js';
import { takeAck } from '../core/ack.js';
import { SiteConfig } from '../core/config.js';
import { type Batch, bodyTexts, Event } from '../core/event.js';
import { freePort } from '../core/ports.js';
import { FlumeRpcClient } from '../rpc/avro/flume-protocol.js';
import { Status } from '../rpc/avro/protocols.js';
import { parseSpec } from '../spec/parser.js';
import { type AvroEventSource, avroSource, collectorSource, rpcSource } from './avro.js';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

function ctx(overrides: Record<string, string> = {}) {
  const c = testContext({ config: SiteConfig.defaults().with(overrides), nodeName: 'n1' });
  return { ctx: c, logger: c.logger };
}

async function open(def: SourceDef, args: Record<string, ArgValue>, overrides: Record<string, string> = {}) {
  const { ctx: c, logger } = ctx(overrides);
  const src = def.build(BoundArgs.of(def.name, { bind: '127.0.0.1', ...args }), c) as AvroEventSource;
  await src.open();
  cleanup.push(() => src.close());
  return { src, logger };
}

function sender(port: number) {
  const c = new FlumeRpcClient({ host: '127.0.0.1', port, requestTimeoutMs: 5000 });
  cleanup.push(() => c.close());
  return c;
}

// 30 s: a deadline against a hang, not a speed bound.
async function until(f: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !f(); ) {
    if (Date.now() > end) assert.fail(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The next batch, acked ok (delivered) so its sender hears OK. */
async function deliver(src: AvroEventSource): Promise<Batch> {
  const b = (await src.next())!;
  takeAck(b)!.ok();
  return b;
}

/** A first exchange: a client sends further requests only once its handshake was answered. */
async function handshake(c: FlumeRpcClient, src: AvroEventSource): Promise<void> {
  const a = c.appendBatch([Event.of('hello')]);
  await deliver(src);
  assert.equal(await a, Status.OK);
}

async function settledWithin<T>(p: Promise<T>, ms: number): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return done;
}

test('avroSource: batches sent are the batches next() returns, fields kept; OK once delivered', async () => {
  const { src } = await open(avroSource, { port: 0 });
  const c = sender(src.port);
  const e = Event.of('hello', { timestamp: 1234, host: 'agent-7', attrs: { k: 'v' } });
  const answer = c.appendBatch([e, Event.of('world')]);
  const batch = (await src.next())!;
  assert.equal(await settledWithin(answer, 100), false, 'no answer before the batch is delivered');
  takeAck(batch)!.ok();
  assert.equal(await answer, Status.OK);
  assert.deepEqual(
    batch.map((x) => x.body.toString()),
    ['hello', 'world'],
  );
  assert.equal(batch[0]!.timestamp, 1234);
  assert.equal(batch[0]!.host, 'agent-7');
  assert.equal(batch[0]!.getAttrString('k'), 'v');
  const one = c.append(Event.of('one'));
  assert.equal((await deliver(src))[0]!.body.toString(), 'one');
  assert.equal(await one, Status.OK);
});

test('a batch the node could not deliver is answered FAILED; the resend is delivered once', async () => {
  const { src } = await open(collectorSource, { port: 0 });
  const c = sender(src.port);
  const first = c.appendBatch([Event.of('x')]);
  takeAck((await src.next())!)!.fail(new Error('sink down'));
  assert.equal(await first, Status.FAILED);
  const again = c.appendBatch([Event.of('x')]);
  assert.deepEqual(bodyTexts(await deliver(src)), ['x']);
  assert.equal(await again, Status.OK);
  assert.deepEqual([src.stats.delivered, src.stats.failed], [1, 1]);
});

test('close answers FAILED to queued batches and waits for the batch in hand to be delivered', async () => {
  const { src } = await open(avroSource, { port: 0 });
  const c = sender(src.port);
  const inHand = c.appendBatch([Event.of('in hand')]);
  const b = (await src.next())!;
  const queued = new FlumeRpcClient({ host: '127.0.0.1', port: src.port, requestTimeoutMs: 5000 });
  cleanup.push(() => queued.close());
  const waiting = queued.appendBatch([Event.of('queued')]);
  await until(() => src.stats.batches === 2);
  const closing = src.close();
  assert.equal(await waiting, Status.FAILED);
  takeAck(b)!.ok();
  assert.equal(await inHand, Status.OK);
  await closing;
});

test('a pending next() is woken by a batch, and by close() with null', async () => {
  const { src } = await open(rpcSource, { port: 0 });
  const waiting = src.next();
  assert.ok(waiting instanceof Promise);
  const answer = sender(src.port).appendBatch([Event.of('late')]);
  const b = (await waiting)!;
  assert.equal(b[0]!.body.toString(), 'late');
  takeAck(b)!.ok();
  assert.equal(await answer, Status.OK);
  const pending = src.next();
  await src.close();
  assert.equal(await pending, null);
  assert.equal(await src.next(), null);
});

test('next() asked again while the last one waits gets that same answer: no batch is left with a caller that gave up', async () => {
  const { src } = await open(rpcSource, { port: 0 });
  const first = src.next();
  const again = src.next();
  assert.equal(again, first);
  const answer = sender(src.port).appendBatch([Event.of('one')]);
  const b = (await again)!;
  assert.equal(b[0]!.body.toString(), 'one');
  takeAck(b)!.ok();
  assert.equal(await answer, Status.OK);
  // Answered, the next call waits for the next batch, not the one already handed out.
  const next = src.next();
  assert.notEqual(next, first);
  const second = sender(src.port).appendBatch([Event.of('two')]);
  const b2 = (await next)!;
  assert.equal(b2[0]!.body.toString(), 'two');
  takeAck(b2)!.ok();
  assert.equal(await second, Status.OK);
  await src.close();
});

test('backpressure: when the queue is full a batch waits for room, and its OK for its delivery', async () => {
  const { src } = await open(avroSource, { port: 0, queueSize: 10 });
  const c = sender(src.port);
  await handshake(c, src);
  const ten = Array.from({ length: 10 }, (_, i) => Event.of(`a${i}`));
  const first = c.appendBatch(ten);
  await until(() => src.stats.batches === 2);
  const second = c.appendBatch(ten.map((e) => e.withBody(Buffer.from('b'))));
  await until(() => src.stats.batches === 3);
  assert.equal((await deliver(src)).length, 10);
  assert.equal(await first, Status.OK);
  assert.equal(await settledWithin(second, 100), false, 'answer held until delivered');
  assert.equal((await deliver(src))[0]!.body.toString(), 'b');
  assert.equal(await second, Status.OK);
});

test('the queue is bounded in bytes too (frames, headers included): a batch that would pass queueBytes waits', async () => {
  const { src } = await open(avroSource, { port: 0, queueBytes: 1500 });
  const c = sender(src.port);
  await handshake(c, src);
  const kib = Event.of(Buffer.alloc(1024, 0x61));
  const first = c.appendBatch([kib]);
  await until(() => src.stats.batches === 2);
  assert.ok(src.bytes > 1024 && src.bytes < 1300, `the frame's bytes are counted: ${src.bytes}`);
  const second = c.appendBatch([kib.copy()]);
  await until(() => src.stats.batches === 3);
  // The second waits for room: only the first's bytes are queued.
  assert.ok(src.bytes > 1024 && src.bytes < 1300, `only the first batch is queued: ${src.bytes}`);
  assert.equal((await deliver(src)).length, 1);
  assert.equal(await first, Status.OK);
  assert.ok(src.bytes > 1024 && src.bytes < 1300, 'the second is queued now');
  assert.equal((await deliver(src)).length, 1);
  assert.equal(await second, Status.OK);
});

test('a batch that finds the queue full for requestTimeout is answered FAILED, logged once', async () => {
  const { src, logger } = await open(avroSource, { port: 0, queueSize: 1, requestTimeout: 150 });
  const c = sender(src.port);
  await handshake(c, src);
  const kept = c.appendBatch([Event.of('kept')]);
  await until(() => src.stats.batches === 2);
  // Another connection: answers on one connection keep their order, so c's next answer waits for 'kept'.
  const other = sender(src.port);
  const started = Date.now();
  assert.equal(await other.appendBatch([Event.of('late')]), Status.FAILED);
  // Soon: not at the client's own 20 s timeout; 10 s leaves room for a loaded machine.
  assert.ok(Date.now() - started < 10_000, 'the sender hears FAILED soon after the timeout');
  assert.equal(await other.appendBatch([Event.of('late again')]), Status.FAILED);
  assert.equal(src.stats.timedOut, 2);
  assert.equal(logger.lines.filter((l) => /answered FAILED/.test(l)).length, 1);
  // Nothing of the refused batches was queued: the sender still has them and resends.
  assert.deepEqual(bodyTexts(await deliver(src)), ['kept']);
  assert.equal(await kept, Status.OK);
  const room = c.appendBatch([Event.of('room')]);
  assert.equal((await deliver(src))[0]!.body.toString(), 'room');
  assert.equal(await room, Status.OK);
});

test('a waiting batch whose sender hung up is dropped, not queued (it was never acknowledged)', async () => {
  const { src } = await open(avroSource, { port: 0, queueSize: 1 });
  const c = sender(src.port);
  const first = c.appendBatch([Event.of('first')]);
  await until(() => src.stats.batches === 1);
  const gone = new FlumeRpcClient({ host: '127.0.0.1', port: src.port, requestTimeoutMs: 5000 });
  const unanswered = gone.appendBatch([Event.of('never acknowledged')]).catch(() => 'closed');
  await until(() => src.stats.batches === 2);
  await gone.close();
  assert.equal(await unanswered, 'closed');
  await until(() => src.connections?.open === 1);
  assert.equal((await deliver(src))[0]!.body.toString(), 'first');
  assert.equal(await first, Status.OK);
  assert.equal(src.stats.abandoned, 1);
  const next = c.appendBatch([Event.of('next')]);
  assert.equal((await deliver(src))[0]!.body.toString(), 'next');
  assert.equal(await next, Status.OK);
});

test('start-up names the address the port listens on', async () => {
  const { src, logger } = await open(rpcSource, { port: 0 });
  assert.ok(
    logger.lines.includes(`INFO rpcSource: listening on 127.0.0.1:${src.port}`),
    logger.lines.join('\n'),
  );
});

test('a batch larger than the queue is still taken when the queue is empty', async () => {
  const { src } = await open(avroSource, { port: 0, queueSize: 2 });
  const c = sender(src.port);
  const answer = c.appendBatch(Array.from({ length: 5 }, () => Event.of('x')));
  assert.equal((await deliver(src)).length, 5);
  assert.equal(await answer, Status.OK);
});

test('collectorSource listens on flume.collector.port by default', async () => {
  const port = await freePort();
  const { src } = await open(collectorSource, {}, { 'flume.collector.port': String(port) });
  assert.equal(src.port, port);
  const answer = sender(port).appendBatch([Event.of('c')]);
  assert.equal((await deliver(src))[0]!.body.toString(), 'c');
  assert.equal(await answer, Status.OK);
});

test('port already in use: open() fails with an error naming the port', async () => {
  const { src } = await open(avroSource, { port: 0 });
  const { ctx: c } = ctx();
  const second = avroSource.build(BoundArgs.of('avroSource', { port: src.port, bind: '127.0.0.1' }), c);
  await assert.rejects(second.open(), {
    code: 'SLUICE_IO',
    message: `cannot listen on 127.0.0.1:${src.port}: address already in use`,
  });
});

test('bad arguments are SLUICE_SPEC_BAD_ARGUMENT errors naming the field', () => {
  const { ctx: c } = ctx();
  const bad: [Record<string, ArgValue>, string][] = [
    [{ port: 70000 }, 'port'],
    [{ port: 1, compression: 'gzip' }, 'compression'],
    [{ port: 1, compressionLevel: 11 }, 'compressionLevel'],
    [{ port: 1, keyFile: '/k.pem' }, 'certFile'],
    [{ port: 1, queueSize: 0 }, 'queueSize'],
    [{ port: 1, queueBytes: 0 }, 'queueBytes'],
    [{ port: 1, requestTimeout: 0 }, 'requestTimeout'],
  ];
  for (const [args, field] of bad) {
    assert.throws(
      () => avroSource.build(BoundArgs.of('avroSource', args), c),
      (e: Error & { code?: string; place?: { field?: string } }) =>
        e.code === 'SLUICE_SPEC_BAD_ARGUMENT' && e.place?.field === field,
      field,
    );
  }
});

test('a missing TLS key file is reported at open with its path', async () => {
  const { ctx: c } = ctx();
  const src = avroSource.build(
    BoundArgs.of('avroSource', {
      port: 0,
      bind: '127.0.0.1',
      keyFile: '/nonexistent/k.pem',
      certFile: '/nonexistent/c.pem',
    }),
    c,
  );
  await assert.rejects(src.open(), {
    code: 'SLUICE_NOT_FOUND',
    message: 'cannot read /nonexistent/k.pem: no such file or directory',
  });
});

test('definitions pass the catalog check; spec text binds, port from the site config', async () => {
  for (const d of [avroSource, rpcSource, collectorSource]) validateDef(d);
  const port = await freePort();
  const config = SiteConfig.defaults().with({ 'flume.collector.port': String(port) });
  const [node] = parseSpec(
    'c : collectorSource(bind="127.0.0.1", compression="deflate", queueSize=5) | null ;',
  ).nodes;
  const args = bindArgs(collectorSource, node!.source, 'spec.flume', config);
  const src = collectorSource.build(args, { ...ctx().ctx, config }) as AvroEventSource;
  assert.equal(src.opts.port, port);
  assert.equal(src.opts.compression, 'deflate');
  assert.equal(src.opts.queueSize, 5);
  assert.equal(src.opts.bind, '127.0.0.1');
  const [n2] = parseSpec('a : avroSource(4141) | null ;').nodes;
  const s2 = avroSource.build(bindArgs(avroSource, n2!.source), ctx().ctx) as AvroEventSource;
  assert.deepEqual([s2.opts.port, s2.opts.bind, s2.opts.compression], [4141, '127.0.0.1', 'none']);
  // No bind given: the site's sluice.source.bind decides.
  const wide = SiteConfig.defaults().with({ 'sluice.source.bind': '0.0.0.0' });
  const s3 = avroSource.build(bindArgs(avroSource, n2!.source, 'spec.flume', wide), {
    ...ctx().ctx,
    config: wide,
  }) as AvroEventSource;
  assert.equal(s3.opts.bind, '0.0.0.0');
});

test('close: answers given while closing reach their senders through deflate, without a fixed wait', async () => {
  const { src } = await open(avroSource, { port: 0, compression: 'deflate' });
  const c = new FlumeRpcClient({
    host: '127.0.0.1',
    port: src.port,
    requestTimeoutMs: 5000,
    compression: 'deflate',
  });
  cleanup.push(() => c.close());
  await handshake(c, src);
  const inHand = c.appendBatch([Event.of('in hand')]);
  const b = (await src.next())!;
  const queued = c.appendBatch([Event.of('queued')]);
  await until(() => src.stats.batches === 3);
  const started = Date.now();
  const closing = src.close();
  takeAck(b)!.ok();
  await closing;
  // Below the 5 s grace a close would wait for a batch whose ack it missed; milliseconds normally.
  assert.ok(Date.now() - started < 4000, `close took ${Date.now() - started} ms`);
  // Both answers were written before the connection was dropped.
  assert.equal(await inHand, Status.OK);
  assert.equal(await queued, Status.FAILED);
});
