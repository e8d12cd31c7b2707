import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../core/errors.js';
import { CHUNK, encodeFrame, FrameDecoder } from './frame.js';

function collect(max?: number): { d: FrameDecoder; frames: [number, Buffer][] } {
  const frames: [number, Buffer][] = [];
  const d = new FrameDecoder((s, p) => frames.push([s, Buffer.from(p)]), max);
  return { d, frames };
}

test('encodes serial, count and length-prefixed buffers big-endian', () => {
  const f = encodeFrame(1, [Buffer.from('ab'), Buffer.from('c')]);
  assert.equal(f.toString('hex'), '00000001' + '00000001' + '00000003' + '616263');
});

test('an empty payload still has one (empty) buffer: bufferCount is never 0', () => {
  assert.equal(encodeFrame(7, []).toString('hex'), '00000007' + '00000001' + '00000000');
});

test('payloads are cut into 8 KiB buffers across part boundaries', () => {
  const a = Buffer.alloc(CHUNK - 10, 1);
  const b = Buffer.alloc(CHUNK + 30, 2);
  const f = encodeFrame(3, [a, b]);
  assert.equal(f.readInt32BE(4), 3);
  assert.equal(f.readInt32BE(8), CHUNK);
  assert.equal(f.readInt32BE(8 + 4 + CHUNK), CHUNK);
  assert.equal(f.readInt32BE(8 + 8 + 2 * CHUNK), 20);
  const { d, frames } = collect();
  d.push(f);
  assert.deepEqual(frames[0]![1], Buffer.concat([a, b]));
});

test('decoder accepts any split, byte by byte, and many frames per chunk', () => {
  const payloads = [Buffer.from('hello'), Buffer.alloc(20000, 7), Buffer.from('x')];
  const wire = Buffer.concat(payloads.map((p, i) => encodeFrame(100 + i, [p])));
  for (const step of [1, 3, 4, 8, 13, 8193, wire.length]) {
    const { d, frames } = collect();
    for (let i = 0; i < wire.length; i += step) d.push(wire.subarray(i, i + step));
    assert.deepEqual(
      frames.map(([s]) => s),
      [100, 101, 102],
      `step ${step}`,
    );
    assert.deepEqual(
      frames.map(([, p]) => p),
      payloads,
    );
    assert.equal(d.idle, true);
  }
});

test('foreign splits (zero-length buffers, odd sizes) join into the same payload', () => {
  const wire = Buffer.from(
    '0000002a' + '00000003' + '00000000' + '00000002' + '6869' + '00000001' + '21',
    'hex',
  );
  const { d, frames } = collect();
  d.push(wire);
  assert.equal(frames[0]![0], 42);
  assert.equal(frames[0]![1].toString(), 'hi!');
});

test('serials above 65536 and beyond 2^31 survive (low 32 bits, signed as Java)', () => {
  const { d, frames } = collect();
  d.push(encodeFrame(70000, [Buffer.from('a')]));
  d.push(encodeFrame(2 ** 31, [Buffer.from('b')]));
  assert.deepEqual(
    frames.map(([s]) => s),
    [70000, -(2 ** 31)],
  );
});

test('a frame over the limit fails with SLUICE_FRAME_TOO_LARGE before buffering it', () => {
  const { d, frames } = collect(1024);
  const header = Buffer.from('00000001' + '00000001' + '7fffffff', 'hex');
  assert.throws(
    () => d.push(header),
    (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_FRAME_TOO_LARGE' && /1024/.test(e.message),
  );
  assert.equal(frames.length, 0);
  assert.throws(() => d.push(Buffer.alloc(1)), /already failed/);
});

test('the limit counts the sum of buffers, not each buffer', () => {
  const { d } = collect(10);
  const wire = Buffer.from('00000001' + '00000002' + '00000006' + '414141414141' + '00000006', 'hex');
  assert.throws(() => d.push(wire), { code: 'SLUICE_FRAME_TOO_LARGE' });
});

test('garbage: zero, negative or absurd buffer counts and negative lengths are format errors', () => {
  for (const hex of [
    '0000000100000000',
    '00000001ffffffff',
    '0000000100ffffff',
    '000000010000000180000000',
  ]) {
    const { d } = collect(1 << 20);
    assert.throws(() => d.push(Buffer.from(hex, 'hex')), { code: 'SLUICE_FORMAT' }, hex);
  }
});
