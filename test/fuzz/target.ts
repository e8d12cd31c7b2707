import { SluiceError } from '../../src/core/errors.js';
import { mutate } from './mutate.js';
import { Rng } from './rng.js';

/**
 * A fuzz target: a generator of valid inputs (the seeds that mutations start from) and a run function.
 *
 * The oracle: `run` returns (a value was produced and any property the target checks holds) or throws the
 * module's documented error (SluiceError unless `expected` says otherwise). Anything else is a finding: a
 * TypeError, RangeError or other crash, a broken property (thrown as OracleFailure), a hang, or memory
 * growth. Targets are synchronous so the watchdog can time one input.
 */
export interface FuzzTarget {
  name: string;
  /** What is fuzzed and which property is checked beyond "value or clear error" (for docs/fuzzing.md). */
  doc: string;
  /** A valid input. */
  valid(rng: Rng): Buffer;
  /** Byte strings worth inserting (tokens, magic numbers): they reach deeper than random bytes. */
  dictionary?: readonly Buffer[];
  /** Largest input the generator makes (default 64 KiB). */
  maxInput?: number;
  run(input: Buffer, rng: Rng): void;
  /** True for an error the module documents; default: a SluiceError. */
  expected?(e: unknown): boolean;
}

/** A property of the output that did not hold: always a finding. */
export class OracleFailure extends Error {
  override readonly name = 'OracleFailure';
}

export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new OracleFailure(message);
}

export function isSluiceError(e: unknown): boolean {
  return e instanceof SluiceError;
}

const DEFAULT_MAX_INPUT = 64 * 1024;

/**
 * Input `index` of the run with `seed`: 5% random bytes, 20% a valid input as generated, 75% a valid input
 * with stacked mutations. Returns the input and the generator the target goes on using (chunk splits).
 */
export function makeInput(target: FuzzTarget, seed: number, index: number): { input: Buffer; rng: Rng } {
  const rng = Rng.forInput(seed, index);
  const max = target.maxInput ?? DEFAULT_MAX_INPUT;
  const r = rng.float();
  let input: Buffer;
  if (r < 0.05) input = rng.bytes(rng.size(Math.min(max, 4096)));
  else if (r < 0.25) input = target.valid(rng);
  else input = mutate(target.valid(rng), rng, () => target.valid(rng), target.dictionary ?? [], max);
  return { input, rng };
}

/** Cuts `input` into 1..8 random pieces (a TCP stream as it may arrive). */
export function randomChunks(input: Buffer, rng: Rng): Buffer[] {
  const cuts = new Set<number>();
  const n = rng.below(8);
  for (let i = 0; i < n && input.length > 1; i++) cuts.add(1 + rng.below(input.length - 1));
  // Sometimes byte by byte, the hardest split, for short inputs.
  if (input.length < 64 && rng.chance(0.1)) for (let i = 1; i < input.length; i++) cuts.add(i);
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const c of sorted) {
    out.push(input.subarray(at, c));
    at = c;
  }
  out.push(input.subarray(at));
  return out;
}

/** An error's class and code, for comparing two outcomes and grouping findings. */
export function errorKind(e: unknown): string {
  if (e instanceof SluiceError) return `SluiceError ${e.code}`;
  return e instanceof Error ? e.name : typeof e;
}
