import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../core/event.js';
import { eventCounters, limits } from '../core/event.js';
import { CHUNK_SIZE, ChunkReader, EventQueue, LineSplitter } from './lines.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const texts = (es: Event[]) => es.map((e) => e.body.toString('latin1'));

describe('LineSplitter', () => {
  it('splits on \\n, joins lines across chunks, holds the partial tail', () => {
    const s = new LineSplitter();
    const out: Event[] = [];
    s.push(b('a\nbb\nc'), out);
    assert.deepEqual(texts(out), ['a', 'bb']);
    assert.equal(s.holding, 1);
    s.push(b('c'), out);
    s.push(b('c\n\nd'), out);
    assert.deepEqual(texts(out), ['a', 'bb', 'ccc', '']);
    s.flush(out);
    assert.deepEqual(texts(out), ['a', 'bb', 'ccc', '', 'd']);
    s.flush(out);
    assert.equal(out.length, 5, 'flush with nothing held adds nothing');
  });

  it('strips \\r only when asked, and stamps attributes on every event with its own map', () => {
    const out: Event[] = [];
    new LineSplitter().push(b('x\r\n'), out);
    new LineSplitter({ stripCr: true, attrs: [['k', b('v')]] }).push(b('y\r\nz\n'), out);
    assert.deepEqual(texts(out), ['x\r', 'y', 'z']);
    assert.equal(out[1]!.getAttrString('k'), 'v');
    out[1]!.deleteAttr('k');
    assert.equal(out[2]!.getAttrString('k'), 'v');
    assert.equal(out[0]!.attrCount, 0);
  });

  it('one timestamp per chunk and strictly rising nanos', () => {
    const out: Event[] = [];
    new LineSplitter().push(b('1\n2\n3\n'), out);
    assert.equal(new Set(out.map((e) => e.timestamp)).size, 1);
    assert.ok(out[0]!.nanos < out[1]!.nanos && out[1]!.nanos < out[2]!.nanos);
  });

  it('an endless line holds at most the body limit and becomes one truncated event', () => {
    const s = new LineSplitter();
    const out: Event[] = [];
    const piece = Buffer.alloc(10_000, 0x61);
    for (let i = 0; i < 100; i++) s.push(piece, out);
    assert.equal(s.holding, limits.maxBodySize + 1);
    const before = eventCounters.truncated;
    s.push(b('\nnext\n'), out);
    assert.equal(out.length, 2);
    assert.equal(out[0]!.body.length, limits.maxBodySize);
    assert.equal(eventCounters.truncated - before, 1);
    assert.equal(out[1]!.body.toString(), 'next');
  });
});

describe('EventQueue', () => {
  it('hands out batches of at most max, in order', () => {
    const q = new EventQueue();
    new LineSplitter().push(b(Array.from({ length: 2500 }, (_, i) => `${i}\n`).join('')), q.items);
    const sizes: number[] = [];
    const all: string[] = [];
    for (let batch = q.take(1000); batch !== null; batch = q.take(1000)) {
      sizes.push(batch.length);
      all.push(...texts(batch));
    }
    assert.deepEqual(sizes, [1000, 1000, 500]);
    assert.deepEqual(
      all,
      Array.from({ length: 2500 }, (_, i) => String(i)),
    );
    assert.equal(q.size, 0);
  });
});

describe('ChunkReader', () => {
  it('copies short reads out and hands long reads over', () => {
    const r = new ChunkReader();
    const buf = r.buffer;
    buf.write('hello');
    const small = r.chunk(5);
    assert.equal(small.toString(), 'hello');
    assert.notEqual(small.buffer, buf.buffer, 'a short read must not pin the scratch buffer');
    assert.equal(r.buffer, buf, 'the scratch buffer is reused');
    const big = r.chunk(CHUNK_SIZE);
    assert.equal(big.buffer, buf.buffer);
    assert.notEqual(r.buffer, buf, 'a handed-over buffer is replaced');
  });
});
