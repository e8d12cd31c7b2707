import assert from 'node:assert/strict';
import { test } from 'node:test';
import avro from 'avsc';
import { ByteWriter } from '../../core/byte-writer.js';
import { Reader } from './wire.js';

test('longs match avsc byte for byte and round-trip, small to 2^52', () => {
  const longType = avro.Type.forSchema('long');
  const values = [
    0,
    1,
    -1,
    63,
    -64,
    64,
    8191,
    2 ** 28,
    -(2 ** 30),
    2 ** 30,
    2 ** 31,
    1_700_000_000_123,
    -(2 ** 40),
  ];
  values.push(2 ** 52 - 1, -(2 ** 52) + 1);
  const w = new ByteWriter(4);
  for (const v of values) w.long(v);
  const expected = Buffer.concat(values.map((v) => longType.toBuffer(v)));
  assert.deepEqual(w.finish(), expected);
  const r = new Reader(expected);
  for (const v of values) assert.equal(r.long(), v);
  assert.equal(r.remaining, 0);
});

test('strings: ASCII fast path, multi-byte UTF-8 and long strings', () => {
  const strType = avro.Type.forSchema('string');
  const values = ['', 'a', 'héllo wörld ✓', 'x'.repeat(63), 'é'.repeat(40), 'y'.repeat(5000)];
  const w = new ByteWriter(1);
  for (const v of values) w.string(v);
  assert.deepEqual(w.finish(), Buffer.concat(values.map((v) => strType.toBuffer(v))));
  const r = new Reader(w.finish());
  for (const v of values) assert.equal(r.string(), v);
});

test('maps: negative block counts (with byte size) are accepted', () => {
  // -1 item, size 6, then "k" -> "vv", then end
  const buf = Buffer.from('01' + '0c' + '026b' + '047676' + '00', 'hex');
  const m = new Reader(buf).map();
  assert.equal(m.get('k')?.toString(), 'vv');
});

test('truncated or absurd data is a SLUICE_FORMAT error, never a huge allocation', () => {
  assert.throws(() => new Reader(Buffer.from('80', 'hex')).long(), { code: 'SLUICE_FORMAT' });
  assert.throws(() => new Reader(Buffer.from('0a6162', 'hex')).string(), { code: 'SLUICE_FORMAT' });
  assert.throws(() => new Reader(Buffer.from('feffffff0f', 'hex')).blockCount(), { code: 'SLUICE_FORMAT' });
  assert.throws(() => new Reader(Buffer.from('ffffffffffffffffffff01', 'hex')).long(), {
    code: 'SLUICE_FORMAT',
  });
  assert.throws(() => new Reader(Buffer.from('02', 'hex')).boolean(), { code: 'SLUICE_FORMAT' });
});

test('decimalString writes the same bytes as string(String(n)), fast path and fallback alike', () => {
  const values = [0, 7, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 1_700_000_000_123, 2 ** 53 - 1];
  const odd = [-1, -1_700_000_000_123, 1.5, 2 ** 53 + 2];
  for (const v of [...values, ...odd]) {
    const a = new ByteWriter(1);
    a.decimalString(v);
    const b = new ByteWriter(1);
    b.string(String(v));
    assert.deepEqual(a.finish(), b.finish(), `value ${v}`);
    assert.equal(new Reader(Buffer.from(a.finish())).string(), String(v));
  }
});
