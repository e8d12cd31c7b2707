import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Lets the event loop take a turn every `every` batches. A loop whose source and sink answer at once
 * (or with promises already settled, which only run microtasks) never gives timers, I/O and signal
 * handlers a chance: an endless `seq | null` would leave its status page unanswered and SIGTERM
 * unheard. One counter per batch, and a setImmediate every `every` batches, is all it costs.
 */
export class EventLoopTurns {
  private count = 0;

  constructor(private readonly every = 256) {}

  /** Undefined most of the time; every `every`-th call, a promise that resolves on the next turn. */
  tick(): Promise<void> | undefined {
    if (++this.count < this.every) return undefined;
    this.count = 0;
    return nextTurn();
  }
}
