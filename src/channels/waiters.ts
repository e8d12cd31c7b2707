/**
 * Keep-alive waits: a take waiting for events or a commit waiting for room parks here until the
 * channel changes or its time runs out, then re-checks its own condition. One promise and one timer
 * per waiting call (never per event).
 */
export class Waiters {
  private readonly parked = new Set<() => void>();

  /** Resolves at the next `wake()` or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.parked.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.parked.add(done);
    });
  }

  wake(): void {
    if (this.parked.size === 0) return;
    for (const done of [...this.parked]) done();
  }

  get size(): number {
    return this.parked.size;
  }
}
