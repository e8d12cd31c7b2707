import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import avro from 'avsc';
import { avrodataFormat } from '../formats/avrodata.js';
import { SeqfileWriter } from '../formats/seqfile.js';
import { FlumeEventEncoder } from '../rpc/avro/flume-event.js';
import { ByteWriter } from './byte-writer.js';
import { Event } from './event.js';
import { encodeEvents } from './eventcodec.js';

// A seeded corpus: lengths around the one-byte varint and ASCII fast-path limits (63/64), values around
// the 31-bit zig-zag fast path (2^30), multi-byte UTF-8, non-UTF-8 attribute values and reserved names.
const STRINGS = [
  '',
  'a',
  'web1',
  'héllo',
  '日本語テキスト',
  'x'.repeat(63),
  'y'.repeat(64),
  'é'.repeat(40),
  'z'.repeat(300),
];
const NUMBERS = [
  0,
  1,
  -1,
  63,
  64,
  -64,
  -65,
  127,
  128,
  2 ** 30 - 1,
  2 ** 30,
  -(2 ** 30),
  -(2 ** 30) - 1,
  2 ** 31,
  2 ** 40 + 7,
  -(2 ** 45),
  1_700_000_000_123,
  2 ** 52,
  -(2 ** 52),
];

function corpus(): Event[] {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const events: Event[] = [];
  for (let i = 0; i < 500; i++) {
    const body = Buffer.alloc(Math.floor(rnd() * 200), Math.floor(rnd() * 256));
    const ts = Math.abs(NUMBERS[i % NUMBERS.length]!);
    const e = new Event(body, ts, i % 6, Math.floor(rnd() * 2 ** 40), STRINGS[i % STRINGS.length]!);
    for (let k = 0; k < i % 5; k++) {
      const name = k === 0 ? 'host' : `k${k}${STRINGS[(i + k) % STRINGS.length]}`;
      e.setAttr(name, k === 3 ? Buffer.from([0xff, 0, 1]) : Buffer.from(STRINGS[(i * k) % STRINGS.length]!));
    }
    events.push(e);
  }
  return events;
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 16);

test('Avro primitives match avsc byte for byte on the corpus', () => {
  const long = avro.Type.forSchema('long');
  const str = avro.Type.forSchema('string');
  const bytes = avro.Type.forSchema('bytes');
  const map = avro.Type.forSchema({ type: 'map', values: 'bytes' });
  const w = new ByteWriter(1);
  const expected: Buffer[] = [];
  for (const n of NUMBERS) {
    w.long(n);
    w.long(-n);
    expected.push(long.toBuffer(n), long.toBuffer(-n));
  }
  for (const s of STRINGS) {
    w.string(s);
    w.bytes(Buffer.from(s));
    w.decimalString(s.length * 1_000_003);
    expected.push(
      str.toBuffer(s),
      bytes.toBuffer(Buffer.from(s)),
      str.toBuffer(String(s.length * 1_000_003)),
    );
  }
  w.map(
    new Map([
      ['a', Buffer.from([1, 2])],
      ['é', Buffer.alloc(0)],
    ]),
  );
  expected.push(map.toBuffer({ a: Buffer.from([1, 2]), é: Buffer.alloc(0) }));
  assert.deepEqual(w.finish(), Buffer.concat(expected));
});

test('big-endian fields match Buffer writes, negative and beyond 32 bits included', () => {
  const w = new ByteWriter(2);
  const expected = Buffer.alloc(3 * 12);
  let o = 0;
  for (const v of [0, -1, 1_700_000_000_123]) {
    w.int32(v | 0);
    w.int64(v);
    o = expected.writeInt32BE(v | 0, o);
    o = expected.writeBigInt64BE(BigInt(v), o);
  }
  assert.deepEqual(w.take(), expected);
  assert.equal(w.pos, 0, 'take empties the writer');
});

// Digests of the encoders' output on the corpus, taken with the two writers this one replaces
// (formats/bytes.ts and rpc/avro/wire.ts at 40a9c5d): the fold changed no byte on the wire or on disk.
test('every encoder writes the same bytes as before the writers were folded', () => {
  const events = corpus();
  const avrodata = avrodataFormat.create();
  const blocks: Buffer[] = [];
  for (let i = 0; i < events.length; i += 50) blocks.push(avrodata.encode(events.slice(i, i + 50)));
  const file = Buffer.concat(blocks);
  // The sync marker is random per file: put a fixed one in its place.
  const sync = file.subarray(file.length - 16).toString('latin1');
  assert.equal(
    digest(Buffer.from(file.toString('latin1').split(sync).join('SYNC'), 'latin1')),
    '78a748b2881eab48',
  );

  const seq = new SeqfileWriter({ sync: Buffer.alloc(16, 7), metadata: { a: 'b' } });
  assert.equal(digest(Buffer.concat([seq.header(), seq.encode(events)])), '88c00bfeef7eb655');

  const w = new ByteWriter(8);
  new FlumeEventEncoder().writeBatch(w, events);
  assert.equal(digest(w.take()), '2fbfcbed0d533d51');
  new FlumeEventEncoder({ sluiceHeaders: false }).writeBatch(w, events);
  assert.equal(digest(w.take()), 'e33f16892df6b8e8');

  assert.equal(digest(encodeEvents(events)), 'de99d93ce5aafd3c');
});
