import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BackpressureSink,
  CollectingSink,
  FailingSink,
  makeBatch,
  testContext,
} from '../../test/mocks/sinks.js';
import { waitFor } from '../../test/support/wait.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { decodeEvents } from '../core/eventcodec.js';
import type { EventSink } from '../core/pipeline.js';
import { Priority } from '../core/priority.js';
import { batchDeco } from './batch.js';
import { gunzipDeco } from './gunzip.js';
import { gzipDeco } from './gzip.js';
import { BATCH_ATTR } from './markers.js';
import { unbatchDeco } from './unbatch.js';

const ctx = testContext();
const batch = (n: number, child: EventSink, maxlatency?: number) =>
  batchDeco.build(BoundArgs.of('batch', maxlatency === undefined ? { n } : { n, maxlatency }), ctx, child);
const plain = (def: typeof gzipDeco, child: EventSink) => def.build(BoundArgs.of(def.name, {}), ctx, child);

function sizes(sink: CollectingSink): number[] {
  return sink.events.map((e) => e.getAttr(BATCH_ATTR)!.readUInt32BE(0));
}

test('batch(100) => gzip => gunzip => unbatch reproduces every event exactly', async () => {
  const out = new CollectingSink();
  const pipeline = batch(100, plain(gzipDeco, plain(gunzipDeco, plain(unbatchDeco, out))));
  await pipeline.open();
  const sent: Event[] = [];
  for (let b = 0; b < 7; b++) {
    const events = makeBatch(37, `b${b}-`);
    events.forEach((e, i) => {
      e.setAttr('n', String(i));
      e.priority = i % 2 ? Priority.ERROR : Priority.DEBUG;
      e.host = `host${b}`;
    });
    sent.push(...events);
    await pipeline.append(events);
  }
  await pipeline.close();
  assert.equal(out.count, 259);
  const got = out.events;
  for (let i = 0; i < sent.length; i++) {
    const a = got[i]!;
    const e = sent[i]!;
    assert.deepEqual(
      [a.body, a.timestamp, a.nanos, a.priority, a.host, a.getAttrString('n'), a.attrCount],
      [e.body, e.timestamp, e.nanos, e.priority, e.host, e.getAttrString('n'), 1],
    );
  }
  assert.equal(out.closes, 1);
});

test('batch packs n events per aggregate across input batches; close sends the rest', async () => {
  const out = new CollectingSink();
  const deco = batch(100, out);
  await deco.open();
  await deco.append(makeBatch(30));
  assert.equal(out.count, 0);
  await deco.append(makeBatch(250, 'e', 30)); // 280 buffered: two full aggregates leave in one append
  assert.equal(out.batches.length, 1);
  assert.deepEqual(sizes(out), [100, 100]);
  await deco.append(makeBatch(5, 'e', 280));
  await deco.close();
  assert.deepEqual(sizes(out), [100, 100, 85]);
  const bodies = out.events.flatMap((agg) => decodeEvents(agg.body).map((e) => e.body.toString()));
  assert.deepEqual(
    bodies,
    makeBatch(285).map((e) => e.body.toString()),
  );
  assert.equal(out.closes, 1);
});

test('flush sends a partial aggregate and flushes the child', async () => {
  const out = new CollectingSink();
  const deco = batch(10, out);
  await deco.open();
  await deco.append(makeBatch(3));
  await deco.flush?.();
  assert.deepEqual(sizes(out), [3]);
  assert.equal(out.flushes, 1);
  await deco.flush?.(); // nothing buffered: no empty aggregate
  assert.deepEqual(sizes(out), [3]);
});

test('maxlatency sends a partial aggregate after that many ms', async () => {
  const out = new CollectingSink();
  const deco = batch(1000, out, 30);
  await deco.open();
  const t0 = Date.now();
  await deco.append(makeBatch(4));
  // A deadline against a hang: a loaded machine fires the 30 ms timer late.
  for (const end = Date.now() + 30_000; out.count === 0 && Date.now() < end; )
    await new Promise((r) => setTimeout(r, 5));
  const elapsed = Date.now() - t0;
  assert.deepEqual(sizes(out), [4]);
  assert.ok(elapsed >= 25, `flushed after ${elapsed} ms`);
  await deco.close();
  assert.deepEqual(sizes(out), [4]);
});

test('a timer flush never overlaps a pending append to a slow child', async () => {
  const out = new BackpressureSink();
  const deco = batch(2, out, 10);
  await deco.open();
  const first = deco.append(makeBatch(3)); // one full aggregate held by the child, one event buffered
  await out.whenHeld();
  await new Promise((r) => setTimeout(r, 40)); // the timer fires while the child holds the append
  assert.equal(out.held, 1);
  out.release();
  await first;
  await out.whenHeld(); // the timer's partial aggregate goes out only now
  out.releaseAll();
  await deco.close();
  assert.equal(out.overlappingAppends, 0);
  assert.deepEqual(sizes(out), [2, 1]);
});

test('a failed timer flush is reported by the next call', async () => {
  const out = new FailingSink({ failAppends: 1 });
  const deco = batch(100, out, 5);
  await deco.open();
  await deco.append(makeBatch(2));
  await waitFor(() => out.appendFailures === 1, 'the timer flush (5 ms) to fail');
  await assert.rejects(Promise.resolve(deco.append(makeBatch(1))), /append failure 1/);
  await deco.close();
  assert.equal(out.closes, 1);
});

test('close still closes the child when the last aggregate cannot be sent', async () => {
  const out = new FailingSink({ failAppends: 1 });
  const deco = batch(100, out);
  await deco.open();
  await deco.append(makeBatch(2));
  await assert.rejects(deco.close(), /append failure 1/);
  assert.equal(out.closes, 1);
});

test('batch rejects n < 1 and a negative maxlatency', () => {
  for (const args of [{ n: 0 }, { n: 5, maxlatency: -1 }] as Record<string, number>[]) {
    assert.throws(
      () => batchDeco.build(BoundArgs.of('batch', args), ctx, new CollectingSink()),
      (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_SPEC_BAD_ARGUMENT',
    );
  }
});

test('aggregates are exempt from the body size limit', async () => {
  const out = new CollectingSink();
  const deco = batch(10, out);
  const big = Array.from({ length: 10 }, () => Event.of(Buffer.alloc(30000, 'x')));
  await deco.append(big);
  assert.ok(out.events[0]!.body.length > 300000);
  assert.equal(decodeEvents(out.events[0]!.body).length, 10);
});
