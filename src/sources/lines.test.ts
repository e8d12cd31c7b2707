import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../core/event.js';
import { eventCounters, limits } from '../core/event.js';
import { CHUNK_SIZE, ChunkReader, EventQueue, type LineRecoder, LineSplitter } from './lines.js';

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

describe('LineSplitter positions', () => {
  it('gives the offset after each line, across chunks, a seek and a flushed last line', () => {
    const s = new LineSplitter({ stripCr: true });
    const out: Event[] = [];
    const ends: number[] = [];
    s.push(b('ab\r\ncd'), out, ends);
    assert.equal(s.position, 6);
    assert.equal(s.lineStart, 4, 'the held line starts after the first');
    s.push(b('\r'), out, ends);
    s.push(b('\nlast'), out, ends);
    assert.deepEqual(texts(out), ['ab', 'cd'], 'a CR held at a chunk border is dropped with its LF');
    assert.deepEqual(ends, [4, 8]);
    s.flush(out, ends);
    assert.deepEqual(texts(out), ['ab', 'cd', 'last']);
    assert.deepEqual(ends, [4, 8, 12]);
    assert.equal(s.lineStart, 12);
    s.push(b('x'), out, ends);
    s.seek(4);
    s.push(b('cd\n'), out, ends);
    assert.deepEqual(texts(out).slice(3), ['cd'], 'a seek forgets the held partial line');
    assert.deepEqual(ends.slice(3), [7]);
  });
});

describe('LineSplitter with a recoder', () => {
  /** Cuts every line into bodies of at most 4 bytes; passes chunks without a "!". */
  function cutter(): LineRecoder & { calls: boolean[] } {
    let rest = Buffer.alloc(0);
    const calls: boolean[] = [];
    return {
      passMax: 4,
      calls,
      passes: (chunk, start, end) => !chunk.subarray(start, end).includes(0x21),
      recode(bytes, last) {
        calls.push(last);
        const all = Buffer.concat([rest, bytes]);
        const out: Buffer[] = [];
        let i = 0;
        for (; all.length - i > 4; i += 4) out.push(all.subarray(i, i + 4));
        rest = all.subarray(i);
        if (last) {
          out.push(rest);
          rest = Buffer.alloc(0);
        }
        return out;
      },
      reset() {
        rest = Buffer.alloc(0);
      },
    };
  }

  it('passes short lines of a plain chunk untouched and recodes the others; pieces but the last resume at the line start', () => {
    const rec = cutter();
    const s = new LineSplitter({ recoder: rec });
    const out: Event[] = [];
    const ends: number[] = [];
    s.push(b('ab\nabcdefghij\n'), out, ends);
    assert.deepEqual(texts(out), ['ab', 'abcd', 'efgh', 'ij']);
    assert.deepEqual(ends, [3, 3, 3, 14]);
    assert.deepEqual(rec.calls, [true], 'the short line of a plain chunk is not recoded');
    s.push(b('x!\nok\n'), out, ends);
    assert.deepEqual(texts(out).slice(4), ['x!', 'ok']);
    assert.deepEqual(rec.calls, [true, true, true], 'every line of a chunk that does not pass is recoded');
  });

  it('hands an endless line over in parts: every byte arrives, the splitter holds no more than the body limit', () => {
    const rec = cutter();
    const s = new LineSplitter({ recoder: rec });
    const out: Event[] = [];
    const ends: number[] = [];
    const piece = Buffer.alloc(10_000, 0x61);
    for (let i = 0; i < 10; i++) {
      s.push(piece, out, ends);
      assert.ok(s.holding <= limits.maxBodySize, `holding ${s.holding}`);
    }
    s.push(b('\nz\n'), out, ends);
    assert.ok(rec.calls.includes(false), 'parts went to the recoder before the line ended');
    const lens = out.map((e) => e.bodyLength);
    assert.equal(
      lens.slice(0, -1).reduce((a, n) => a + n, 0),
      100_000,
    );
    assert.equal(texts(out).at(-1), 'z');
    assert.ok(
      ends.slice(0, -2).every((e) => e === 0),
      'pieces before the end resume at the line start',
    );
    assert.deepEqual(ends.slice(-2), [100_001, 100_003]);
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
