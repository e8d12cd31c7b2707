import type { Rng } from './rng.js';

/**
 * Byte-level mutations of valid inputs, the shapes a fuzzer and a hostile peer both try: flipped bits,
 * inserted and deleted bytes, splices of two inputs, integers at their boundaries and lengths far beyond
 * the data. Each takes a buffer and returns a new one (never larger than `max`).
 */
const BOUNDARY_INT32 = [
  0,
  1,
  -1,
  2,
  0x7f,
  0x80,
  0xff,
  0x100,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  0x7fffffff,
  -0x80000000,
  0x3fffffff,
  0x40000000,
  16 * 1024 * 1024,
  64 * 1024 * 1024,
];

/** Avro zig-zag varints of hostile values: huge, negative, maximal length. */
const HUGE_VARINTS = [
  varint(2 ** 31),
  varint(2 ** 40),
  varint(Number.MAX_SAFE_INTEGER),
  varint(-1),
  varint(-(2 ** 31)),
  varint(1 << 30),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]),
];

function varint(n: number): Buffer {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

export type Mutator = (input: Buffer, rng: Rng, other: () => Buffer, dictionary: readonly Buffer[]) => Buffer;

function insertAt(input: Buffer, at: number, piece: Buffer): Buffer {
  return Buffer.concat([input.subarray(0, at), piece, input.subarray(at)]);
}

function overwriteAt(input: Buffer, at: number, piece: Buffer): Buffer {
  const out = Buffer.from(input);
  piece.copy(out, at, 0, Math.min(piece.length, out.length - at));
  return out;
}

export const MUTATORS: Record<string, Mutator> = {
  bitFlip(input, rng) {
    if (input.length === 0) return input;
    const out = Buffer.from(input);
    const at = rng.below(out.length);
    out[at]! ^= 1 << rng.below(8);
    return out;
  },
  randomByte(input, rng) {
    if (input.length === 0) return rng.bytes(1);
    const out = Buffer.from(input);
    out[rng.below(out.length)] = rng.below(256);
    return out;
  },
  insertBytes(input, rng) {
    return insertAt(input, rng.below(input.length + 1), rng.bytes(rng.between(1, 8)));
  },
  deleteBytes(input, rng) {
    if (input.length === 0) return input;
    const at = rng.below(input.length);
    const n = rng.between(1, Math.min(16, input.length - at));
    return Buffer.concat([input.subarray(0, at), input.subarray(at + n)]);
  },
  duplicateRange(input, rng) {
    if (input.length === 0) return input;
    const at = rng.below(input.length);
    const piece = input.subarray(at, at + rng.between(1, 64));
    return insertAt(input, rng.below(input.length + 1), piece);
  },
  repeatRange(input, rng) {
    // Many copies of one piece: finds work quadratic in the input and counts that multiply.
    if (input.length === 0) return input;
    const at = rng.below(input.length);
    const piece = input.subarray(at, at + rng.between(1, 8));
    return insertAt(input, at, Buffer.concat(Array.from({ length: rng.between(8, 512) }, () => piece)));
  },
  splice(input, rng, other) {
    const b = other();
    return Buffer.concat([
      input.subarray(0, rng.below(input.length + 1)),
      b.subarray(rng.below(b.length + 1)),
    ]);
  },
  truncate(input, rng) {
    return input.subarray(0, rng.below(input.length + 1));
  },
  boundaryInt32(input, rng) {
    const piece = Buffer.alloc(4);
    piece.writeInt32BE(rng.pick(BOUNDARY_INT32) | 0);
    return input.length >= 4 && rng.chance(0.8)
      ? overwriteAt(input, rng.below(input.length - 3), piece)
      : insertAt(input, rng.below(input.length + 1), piece);
  },
  boundaryInt16(input, rng) {
    const piece = Buffer.alloc(2);
    piece.writeUInt16BE(rng.pick([0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff]));
    return input.length >= 2
      ? overwriteAt(input, rng.below(input.length - 1), piece)
      : insertAt(input, 0, piece);
  },
  boundaryByte(input, rng) {
    if (input.length === 0) return input;
    const out = Buffer.from(input);
    out[rng.below(out.length)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x20, 0x30, 0x39]);
    return out;
  },
  hugeVarint(input, rng) {
    const piece = rng.pick(HUGE_VARINTS);
    const at = rng.below(input.length + 1);
    return rng.chance(0.5)
      ? insertAt(input, at, piece)
      : overwriteAt(input, Math.min(at, input.length), piece);
  },
  dictionary(input, rng, _other, dict) {
    if (dict.length === 0) return input;
    const at = rng.below(input.length + 1);
    const piece = rng.pick(dict);
    if (rng.chance(0.3) && input.length > 0) return overwriteAt(input, Math.min(at, input.length - 1), piece);
    return insertAt(input, at, piece);
  },
};

const NAMES = Object.keys(MUTATORS);

/** One to four stacked mutations, the result cut to `max` bytes. */
export function mutate(
  input: Buffer,
  rng: Rng,
  other: () => Buffer,
  dictionary: readonly Buffer[],
  max: number,
): Buffer {
  let out = input;
  const n = rng.between(1, 4);
  for (let i = 0; i < n; i++) out = MUTATORS[rng.pick(NAMES)]!(out, rng, other, dictionary);
  return out.length > max ? out.subarray(0, max) : out;
}
