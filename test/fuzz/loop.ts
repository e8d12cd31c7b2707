import { errorKind, type FuzzTarget, isSluiceError, makeInput, OracleFailure } from './target.js';

/**
 * The fuzzing loop, run inside a worker thread so the main thread can time each input and stop a hang.
 * Shared counters: [0] the index of the input being run, [1] a tick bumped before every input.
 */
export interface LoopOptions {
  seed: number;
  /** First input index (a replay starts at the failing one). */
  start: number;
  runs: number;
  timeMs: number;
  /** Heap plus buffer memory may grow this much over the level after warm-up. */
  maxMemoryGrowthMb: number;
  maxFindings: number;
}

export type FindingKind = 'crash' | 'oracle' | 'hang' | 'memory';

export interface Finding {
  kind: FindingKind;
  /** The first input that showed it; replay with `npm run fuzz -- NAME --seed S --index I`. */
  index: number;
  /** How many inputs showed the same signature. */
  count: number;
  signature: string;
  message: string;
  stack: string | undefined;
  inputLength: number;
  /** The input's first 512 bytes in hex. */
  inputHead: string;
}

export interface LoopResult {
  inputs: number;
  ms: number;
  /** Inputs that produced a value, and those that ended in an expected (typed) error. */
  values: number;
  errors: number;
  findings: Finding[];
}

const MEMORY_CHECK_EVERY = 1024;
const WARM_UP = 4096;

export function signatureOf(kind: FindingKind, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // The frame where it happened, inside Sluice's code if the stack reaches it.
  const frames = (e instanceof Error ? (e.stack ?? '') : '').split('\n').filter((l) => l.includes(' at '));
  const own = frames.find((l) => l.includes('/src/')) ?? frames[0] ?? '';
  const where = own.replace(/^\s*at\s+/, '').replace(/:\d+\)?$/, '');
  return `${kind} ${errorKind(e)}: ${message.replace(/\d+/g, 'N').slice(0, 120)} @ ${where}`;
}

export function runLoop(target: FuzzTarget, opts: LoopOptions, shared: Int32Array): LoopResult {
  const started = Date.now();
  const deadline = started + opts.timeMs;
  const findings = new Map<string, Finding>();
  const expected = target.expected ?? isSluiceError;
  let values = 0;
  let errors = 0;
  let baseline = -1;
  let strikes = 0;
  let i = opts.start;
  const end = opts.start + opts.runs;
  const note = (kind: FindingKind, index: number, e: unknown, input: Buffer) => {
    const signature = signatureOf(kind, e);
    const known = findings.get(signature);
    if (known) {
      known.count++;
      return;
    }
    findings.set(signature, {
      kind,
      index,
      count: 1,
      signature,
      message: e instanceof Error ? e.message : String(e),
      stack: e instanceof Error ? e.stack : undefined,
      inputLength: input.length,
      inputHead: input.subarray(0, 512).toString('hex'),
    });
  };
  for (; i < end; i++) {
    if ((i & 63) === 0 && Date.now() >= deadline) break;
    Atomics.store(shared, 0, i);
    Atomics.add(shared, 1, 1);
    const { input, rng } = makeInput(target, opts.seed, i);
    try {
      target.run(input, rng);
      values++;
    } catch (e) {
      if (e instanceof OracleFailure) note('oracle', i, e, input);
      else if (expected(e)) errors++;
      else note('crash', i, e, input);
      if (findings.size >= opts.maxFindings) {
        i++;
        break;
      }
    }
    if ((i - opts.start) % MEMORY_CHECK_EVERY === MEMORY_CHECK_EVERY - 1) {
      const m = process.memoryUsage();
      const used = m.heapUsed + m.arrayBuffers;
      if (i - opts.start < WARM_UP) baseline = Math.max(baseline, used);
      else if (used - baseline > opts.maxMemoryGrowthMb * 1024 * 1024) {
        // Garbage not yet collected can pass the line once; three checks in a row cannot be garbage.
        if (++strikes >= 3) {
          const grown = Math.round((used - baseline) / 1024 / 1024);
          note(
            'memory',
            i,
            new Error(`heap and buffers grew by ${grown} MB over ${i - opts.start} inputs`),
            input,
          );
          i++;
          break;
        }
      } else strikes = 0;
    }
  }
  return {
    inputs: i - opts.start,
    ms: Date.now() - started,
    values,
    errors,
    findings: [...findings.values()],
  };
}
