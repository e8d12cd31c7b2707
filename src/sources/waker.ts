/**
 * The one place a polling source sleeps: `wait(ms)` resolves after `ms`, on `wake()` (a file-system
 * notification) or on `close()`. A wake that arrives while nobody waits is remembered, so a change
 * noticed during a read is never slept through.
 */
export class Waker {
  private resolve: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  private closed = false;

  get isClosed(): boolean {
    return this.closed;
  }

  wait(ms: number): Promise<void> {
    if (this.pending || this.closed) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(this.fire, ms);
    });
  }

  wake(): void {
    if (this.resolve) this.fire();
    else this.pending = true;
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  private readonly fire = (): void => {
    const r = this.resolve;
    this.resolve = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = false;
    r?.();
  };
}
