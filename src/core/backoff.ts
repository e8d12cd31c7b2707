/**
 * The one retry-delay policy of Sluice: the wait after the n-th failure in a row is
 * `min(maxMs, initialMs x multiplier^(n-1))`, optionally spread by jitter, and a success starts over.
 * Failover sinks, sink-group processors, the Avro RPC client and insistentOpen each keep one (per
 * retried target) with their own documented defaults; logging the outage is OutageLog's job, not this.
 */
export interface BackoffOptions {
  /** The wait after the first failure, ms. */
  initialMs: number;
  /** The longest wait, ms. */
  maxMs: number;
  /** Growth per further failure (default 2). */
  multiplier?: number | undefined;
  /**
   * Fraction of each wait drawn at random, 0 (default) to 1: the wait lies in [w x (1 - jitter), w], so
   * many clients that failed together do not retry together.
   */
  jitter?: number | undefined;
  /** Source of randomness for the jitter (tests fix it). */
  random?: (() => number) | undefined;
}

/** A multiplier^n beyond this many failures would only overflow to Infinity; the cap holds long before. */
const MAX_EXPONENT = 64;

export class Backoff {
  /** Failures since the last success. */
  failures = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions) {
    this.initialMs = opts.initialMs;
    this.maxMs = opts.maxMs;
    this.multiplier = opts.multiplier ?? 2;
    this.jitter = Math.min(1, Math.max(0, opts.jitter ?? 0));
    this.random = opts.random ?? Math.random;
  }

  /** Counts a failure and returns how long to wait before the next attempt, ms. */
  fail(): number {
    this.failures++;
    return this.delay(this.failures);
  }

  /** The wait after the `n`-th failure in a row (n >= 1), jitter included. */
  delay(n: number): number {
    const exp = Math.min(Math.max(n, 1) - 1, MAX_EXPONENT);
    const wait = Math.min(this.maxMs, this.initialMs * this.multiplier ** exp);
    if (this.jitter === 0) return wait;
    return Math.round(wait * (1 - this.jitter * this.random()));
  }

  /** A success: the next failure waits `initialMs` again. */
  reset(): void {
    this.failures = 0;
  }
}

/**
 * A wait that a stop can cut short: `done` resolves after `ms`, or at once when `wake()` is called (a
 * node stopping while it waits to retry an open must not sit out the backoff).
 */
export class WakeableDelay {
  private wakeFn: (() => void) | undefined;

  /** Waits `ms` or until woken. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wakeFn = undefined;
        resolve();
      }, ms);
      this.wakeFn = () => {
        clearTimeout(t);
        this.wakeFn = undefined;
        resolve();
      };
    });
  }

  /** Ends the current wait now (nothing when none is running). */
  wake(): void {
    this.wakeFn?.();
  }
}
