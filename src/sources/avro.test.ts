import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { bindArgs } from '../catalog/bind.js';
import { validateDef } from '../catalog/registry.js';
import { type ArgValue, BoundArgs, type SourceDef } from '../catalog/types.js';
import { SiteConfig } from '../core/config.js';
import { Event } from '../core/event.js';
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

async function until(f: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !f(); ) {
    if (Date.now() > end) assert.fail(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
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

test('avroSource: batches sent are the batches next() returns, fields kept', async () => {
  const { src } = await open(avroSource, { port: 0 });
  const c = sender(src.port);
  const e = Event.of('hello', { timestamp: 1234, host: 'agent-7', attrs: { k: 'v' } });
  assert.equal(await c.appendBatch([e, Event.of('world')]), Status.OK);
  const batch = (await src.next())!;
  assert.deepEqual(
    batch.map((x) => x.body.toString()),
    ['hello', 'world'],
  );
  assert.equal(batch[0]!.timestamp, 1234);
  assert.equal(batch[0]!.host, 'agent-7');
  assert.equal(batch[0]!.getAttrString('k'), 'v');
  assert.equal(await c.append(Event.of('one')), Status.OK);
  assert.equal((await src.next())![0]!.body.toString(), 'one');
});

test('a pending next() is woken by a batch, and by close() with null', async () => {
  const { src } = await open(rpcSource, { port: 0 });
  const waiting = src.next();
  assert.ok(waiting instanceof Promise);
  await sender(src.port).appendBatch([Event.of('late')]);
  assert.equal((await waiting)![0]!.body.toString(), 'late');
  const pending = src.next();
  await src.close();
  assert.equal(await pending, null);
  assert.equal(await src.next(), null);
});

test('backpressure: when the queue is full the OK waits until next() makes room', async () => {
  const { src } = await open(avroSource, { port: 0, queueSize: 10 });
  const c = sender(src.port);
  const ten = Array.from({ length: 10 }, (_, i) => Event.of(`a${i}`));
  assert.equal(await c.appendBatch(ten), Status.OK);
  const second = c.appendBatch(ten.map((e) => e.withBody(Buffer.from('b'))));
  assert.equal(await settledWithin(second, 200), false, 'answer held while the queue is full');
  assert.equal((await src.next())!.length, 10);
  assert.equal(await second, Status.OK);
  assert.equal((await src.next())![0]!.body.toString(), 'b');
});

test('the queue is bounded in bytes too (frames, headers included): a batch that would pass queueBytes waits', async () => {
  const { src } = await open(avroSource, { port: 0, queueBytes: 1500 });
  const c = sender(src.port);
  const kib = Event.of(Buffer.alloc(1024, 0x61));
  assert.equal(await c.appendBatch([kib]), Status.OK);
  assert.ok(src.bytes > 1024 && src.bytes < 1300, `the frame's bytes are counted: ${src.bytes}`);
  const second = c.appendBatch([kib.copy()]);
  assert.equal(await settledWithin(second, 200), false, 'answer held while the bytes are over');
  assert.equal((await src.next())!.length, 1);
  assert.equal(await second, Status.OK);
  assert.ok(src.bytes > 1024 && src.bytes < 1300);
});

test('a batch that finds the queue full for requestTimeout is answered FAILED, logged once', async () => {
  const { src, logger } = await open(avroSource, { port: 0, queueSize: 1, requestTimeout: 150 });
  const c = sender(src.port);
  assert.equal(await c.appendBatch([Event.of('kept')]), Status.OK);
  const started = Date.now();
  assert.equal(await c.appendBatch([Event.of('late')]), Status.FAILED);
  assert.ok(Date.now() - started < 2000, 'the sender hears FAILED soon after the timeout');
  assert.equal(await c.appendBatch([Event.of('late again')]), Status.FAILED);
  assert.equal(src.stats.timedOut, 2);
  assert.equal(logger.lines.filter((l) => /answered FAILED/.test(l)).length, 1);
  // Nothing of the refused batches was queued: the sender still has them and resends.
  assert.deepEqual(
    (await src.next())!.map((e) => e.body.toString()),
    ['kept'],
  );
  assert.equal(await c.appendBatch([Event.of('room')]), Status.OK);
  assert.equal((await src.next())![0]!.body.toString(), 'room');
});

test('a waiting batch whose sender hung up is dropped, not queued (it was never acknowledged)', async () => {
  const { src } = await open(avroSource, { port: 0, queueSize: 1 });
  const c = sender(src.port);
  assert.equal(await c.appendBatch([Event.of('first')]), Status.OK);
  const gone = new FlumeRpcClient({ host: '127.0.0.1', port: src.port, requestTimeoutMs: 5000 });
  const unanswered = gone.appendBatch([Event.of('never acknowledged')]).catch(() => 'closed');
  await until(() => src.stats.batches === 2);
  await gone.close();
  assert.equal(await unanswered, 'closed');
  await until(() => src.connections?.open === 1);
  assert.equal((await src.next())![0]!.body.toString(), 'first');
  assert.equal(src.stats.abandoned, 1);
  assert.equal(await c.appendBatch([Event.of('next')]), Status.OK);
  assert.equal((await src.next())![0]!.body.toString(), 'next');
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
  assert.equal(await c.appendBatch(Array.from({ length: 5 }, () => Event.of('x'))), Status.OK);
  assert.equal((await src.next())!.length, 5);
});

test('collectorSource listens on flume.collector.port by default', async () => {
  const port = await freePort();
  const { src } = await open(collectorSource, {}, { 'flume.collector.port': String(port) });
  assert.equal(src.port, port);
  assert.equal(await sender(port).appendBatch([Event.of('c')]), Status.OK);
  assert.equal((await src.next())![0]!.body.toString(), 'c');
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
