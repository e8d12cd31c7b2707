import { encodeFrame, FrameDecoder } from '../../../src/rpc/avro/frame.js';
import type { Rng } from '../rng.js';
import { check, errorKind, type FuzzTarget, randomChunks } from '../target.js';

/** A small limit, so mutated lengths cross it often. */
const MAX_FRAME = 64 * 1024;

/** A frame written by hand: any split of the payload into buffers, empty buffers included. */
function handFrame(rng: Rng, serial: number, payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < payload.length || parts.length === 0) {
    const n = rng.chance(0.1) ? 0 : Math.min(payload.length - at, 1 + rng.size(4096));
    parts.push(payload.subarray(at, at + n));
    at += n;
  }
  const head = Buffer.alloc(8);
  head.writeInt32BE(serial | 0, 0);
  head.writeInt32BE(parts.length, 4);
  const out: Buffer[] = [head];
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(p.length);
    out.push(len, p);
  }
  return Buffer.concat(out);
}

/** Everything the decoder reported for a stream: frames, then the error that stopped it. */
function decode(chunks: readonly Buffer[]): string {
  const seen: string[] = [];
  const d = new FrameDecoder((serial, payload) => {
    check(payload.length <= MAX_FRAME, `frame of ${payload.length} bytes passed a ${MAX_FRAME}-byte limit`);
    seen.push(`${serial}:${payload.toString('hex')}`);
  }, MAX_FRAME);
  try {
    for (const c of chunks) d.push(c);
  } catch (e) {
    if (errorKind(e).startsWith('SluiceError')) return `${seen.join(',')} | ${(e as Error).message}`;
    throw e;
  }
  return `${seen.join(',')} | idle=${d.idle}`;
}

export const avroFrame: FuzzTarget = {
  name: 'avro-frame',
  doc:
    'Netty frame decoder (src/rpc/avro/frame.ts) with a 64 KiB frame limit. Property: the frames and the ' +
    'error are the same whether the stream arrives in one chunk or in random pieces, and no frame passes the limit.',
  valid(rng) {
    const frames: Buffer[] = [];
    const n = rng.between(1, 3);
    for (let i = 0; i < n; i++) {
      const payload = rng.bytes(rng.size(20_000));
      const serial = rng.chance(0.1) ? rng.pick([0, -1, 0x7fffffff]) : rng.below(1000);
      frames.push(rng.chance(0.5) ? encodeFrame(serial, [payload]) : handFrame(rng, serial, payload));
    }
    return Buffer.concat(frames);
  },
  dictionary: [Buffer.from([0, 0, 0, 0]), Buffer.from([0, 0, 0, 1]), Buffer.from([0xff, 0xff, 0xff, 0xff])],
  run(input, rng) {
    const whole = decode([input]);
    const pieces = decode(randomChunks(input, rng));
    check(
      whole === pieces,
      `chunking changed the result:\n  whole:  ${whole.slice(0, 300)}\n  pieces: ${pieces.slice(0, 300)}`,
    );
  },
};
