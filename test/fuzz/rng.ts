import { seededRng } from '../support/arbitrary.js';

/**
 * The fuzzer's randomness. Every input has its own generator seeded from (run seed, input index), so one
 * input is replayed from those two numbers alone, without the inputs before it.
 */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRng(seed);
  }

  static forInput(seed: number, index: number): Rng {
    return new Rng(mixSeed(seed, index));
  }

  float(): number {
    return this.next();
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** A size skewed towards small values: most inputs are short, a few are long. */
  size(max: number): number {
    const r = this.next();
    return Math.floor(r * r * r * (max + 1));
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.below(256);
    return b;
  }

  /** Text from random code points, with a bias to ASCII, controls and multi-byte characters. */
  text(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = this.next();
      const cp =
        r < 0.6
          ? this.between(0x20, 0x7e)
          : r < 0.7
            ? this.below(0x20)
            : r < 0.9
              ? this.between(0x80, 0xffff)
              : this.between(0x10000, 0x10ffff);
      // Lone surrogates cannot be written as UTF-8 by most peers; keep text well-formed.
      s += cp >= 0xd800 && cp <= 0xdfff ? 'x' : String.fromCodePoint(cp);
    }
    return s;
  }
}

/** A 32-bit hash of (seed, index), so neighbouring indexes give unrelated generators. */
export function mixSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
