import type { Batch } from '../core/event.js';

/**
 * Makes a source's asynchronous pull idempotent while it runs: a caller that stopped waiting for
 * next() and asks again gets the same pull instead of a second one reading the same bytes, and the
 * batch of the first is not lost.
 */
export class SinglePull {
  private pending: Promise<Batch | null> | undefined;

  run(pull: () => Promise<Batch | null>): Promise<Batch | null> {
    this.pending ??= pull().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }
}
