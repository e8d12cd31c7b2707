import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Batch, bodyTexts, Event } from '../core/event.js';
import { BoundedQueue, EVENT_OVERHEAD } from './bounded-queue.js';

const events = (n: number, from = 0) => Array.from({ length: n }, (_, i) => Event.of(String(from + i)));

test('full at either bound, room again at half of both; batches merge small puts and cut large ones', () => {
  const calls: string[] = [];
  const q = new BoundedQueue({
    maxEvents: 10,
    maxBytes: 100 * EVENT_OVERHEAD,
    maxBatch: 4,
    onFull: () => calls.push('full'),
    onRoom: () => calls.push('room'),
  });
  q.put(events(2), 20);
  q.put(events(2, 2), 20);
  assert.deepEqual([q.size, q.byteSize], [4, 40 + 4 * EVENT_OVERHEAD]);
  // Seven events are cut into 4 + 3, the bytes shared between them and all accounted for.
  q.put(events(7, 4), 70);
  assert.equal(q.size, 11);
  assert.equal(q.byteSize, 110 + 11 * EVENT_OVERHEAD);
  assert.deepEqual(calls, ['full']);
  const taken: string[][] = [];
  const left = () => q.size;
  while (left() > 0) taken.push(bodyTexts(q.next() as Batch));
  assert.deepEqual(taken, [
    ['0', '1', '2', '3'],
    ['4', '5', '6', '7'],
    ['8', '9', '10'],
  ]);
  assert.deepEqual(calls, ['full', 'room']);
  assert.deepEqual([q.size, q.byteSize, q.full], [0, 0, false]);
});

test('the bytes bound counts too: a few large events fill the queue', () => {
  let full = 0;
  const q = new BoundedQueue({ maxEvents: 1000, maxBytes: 4096, maxBatch: 100, onFull: () => full++ });
  q.put(events(1), 5000);
  assert.equal(q.full, true);
  assert.equal(full, 1);
});

test('a waiting next() gets the first batch of a put; finish drains then ends, clear drops', async () => {
  const seen: number[] = [];
  const q = new BoundedQueue({
    maxEvents: 100,
    maxBytes: 1 << 20,
    maxBatch: 2,
    onTake: (b) => {
      seen.push(b.length);
      return b;
    },
  });
  const waiting = q.next();
  assert.ok(waiting instanceof Promise);
  q.put(events(3), 3);
  assert.deepEqual(bodyTexts((await waiting)!), ['0', '1']);
  q.finish();
  q.put(events(1, 9), 1);
  assert.deepEqual(bodyTexts(q.next() as Batch), ['2']);
  assert.equal(q.next(), null);
  assert.deepEqual(seen, [2, 1]);
  const c = new BoundedQueue({ maxEvents: 10, maxBytes: 1 << 20, maxBatch: 10 });
  c.put(events(3), 3);
  const pending = new BoundedQueue({ maxEvents: 10, maxBytes: 1 << 20, maxBatch: 10 });
  const p = pending.next();
  pending.clear();
  assert.equal(await p, null);
  c.clear();
  assert.deepEqual([c.next(), c.size, c.byteSize], [null, 0, 0]);
});

test('next() asked again while one waits answers with the same promise; the batch reaches whoever awaits', async () => {
  const q = new BoundedQueue({ maxEvents: 100, maxBytes: 1 << 20, maxBatch: 10 });
  const first = q.next();
  const again = q.next();
  assert.equal(again, first);
  q.put(events(2), 2);
  assert.deepEqual(bodyTexts((await again)!), ['0', '1']);
  const next = q.next();
  assert.notEqual(next, first);
  q.put(events(1, 5), 1);
  assert.deepEqual(bodyTexts((await next)!), ['5']);
});
