import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../core/errors.js';
import { CHUNK, encodeFrame, FrameDecoder, MIN_BUFFER_COST } from './frame.js';

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

test('garbage: zero or negative buffer counts and negative lengths are format errors', () => {
  for (const hex of ['0000000100000000', '00000001ffffffff', '000000010000000180000000']) {
    const { d } = collect(1 << 20);
    assert.throws(() => d.push(Buffer.from(hex, 'hex')), { code: 'SLUICE_FORMAT' }, hex);
  }
});

test('a frame ending in a zero-length buffer is delivered as soon as its last length arrives', () => {
  // The whole frame is one chunk whose last 4 bytes are the trailing empty buffer's length: nothing
  // follows to wake the decoder, so it must not wait for data of that buffer.
  const { d, frames } = collect();
  d.push(Buffer.from('00000005' + '00000002' + '00000002' + '6869' + '00000000', 'hex'));
  assert.deepEqual(frames, [[5, Buffer.from('hi')]]);
  assert.equal(d.idle, true);
});

test('16 million one-byte buffers are refused at the header, before any buffer is read', () => {
  const { d, frames } = collect();
  const header = Buffer.alloc(8);
  header.writeInt32BE(1, 0);
  header.writeInt32BE(16_000_000, 4);
  assert.throws(
    () => d.push(header),
    (e: unknown) =>
      e instanceof SluiceError && e.code === 'SLUICE_FRAME_TOO_LARGE' && /16000000 buffers/.test(e.message),
  );
  assert.equal(frames.length, 0);
});

test('each buffer is charged at least MIN_BUFFER_COST against the frame limit', () => {
  const max = 64 * MIN_BUFFER_COST;
  const { d } = collect(max);
  // 65 buffers pass the header check (max / cost + 1) but the 65th length takes the budget over.
  const wire = [Buffer.from('0000000100000041', 'hex')];
  for (let i = 0; i < 65; i++) wire.push(Buffer.from('0000000178', 'hex'));
  assert.throws(() => d.push(Buffer.concat(wire)), { code: 'SLUICE_FRAME_TOO_LARGE' });
  assert.equal(d.pendingBytes, 0, 'a failed frame releases what it held');
});

test('before the handshake, a frame grows past the gate only once the gate accepts its head', () => {
  const big = Buffer.alloc(200_000, 0x61);
  const head = Buffer.from('HANDSHAKE;');
  const asked: number[] = [];
  const gate = (prefix: Buffer) => {
    asked.push(prefix.length);
    if (prefix.length < head.length) return undefined;
    return prefix.subarray(0, head.length).equals(head) ? true : 'not a handshake';
  };
  const ok = collect();
  ok.d.setGate(gate, 1024);
  ok.d.push(encodeFrame(1, [head, big]));
  assert.equal(ok.frames[0]![1].length, head.length + big.length);
  assert.ok(
    asked.length >= 1 && asked.length <= 2,
    `the gate is asked once or twice, not ${asked.length} times`,
  );
  // After openGate or acceptance, later frames are bounded by maxFrameSize only.
  ok.d.push(encodeFrame(2, [big]));
  assert.equal(ok.frames.length, 2);

  const refused = collect();
  refused.d.setGate(gate, 1024);
  assert.throws(() => refused.d.push(encodeFrame(1, [big])), /refused: not a handshake/);
  assert.equal(refused.frames.length, 0);

  // Tiny buffers never show a whole handshake within the gate's budget.
  const tiny = collect();
  tiny.d.setGate(gate, 1024);
  const wire = [Buffer.from('0000000100000100', 'hex')];
  for (let i = 0; i < 256; i++) wire.push(Buffer.from('0000000148', 'hex'));
  assert.throws(() => tiny.d.push(Buffer.concat(wire)), /no complete handshake/);

  // A small first frame is not the gate's business: the server reads its handshake itself.
  const small = collect();
  small.d.setGate(() => 'never asked', 1024);
  small.d.push(encodeFrame(3, [Buffer.from('hi')]));
  assert.equal(small.frames.length, 1);
});
