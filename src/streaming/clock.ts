/**
 * The time a StreamingContext cuts batches by. The system clock is wall time; the manual clock, as
 * Spark's ManualClock, moves only when a test says so (`ssc.advance(ms)`), so a 300 s window is tested
 * in milliseconds and every batch boundary is exact.
 */
export interface StreamingClock {
  readonly kind: 'system' | 'manual';
  now(): number;
}

export const systemClock: StreamingClock = { kind: 'system', now: () => Date.now() };

export class ManualClock implements StreamingClock {
  readonly kind = 'manual';
  private time: number;

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  /** Only the context moves it, batch by batch, so no batch is skipped. */
  setTime(ms: number): void {
    if (ms > this.time) this.time = ms;
  }
}
