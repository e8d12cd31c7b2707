/**
 * The bound on what receivers handed the engine and batches have not processed yet, in bytes, shared by
 * every receiver of a context. Past the bound a receiver's `store` returns a promise that resolves once
 * processed batches released enough: the receiver stops taking data meanwhile (Spark's backpressure).
 */
export class BlockBudget {
  readonly maxBytes: number;
  private used = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get bytes(): number {
    return this.used;
  }

  add(bytes: number): void {
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used -= bytes;
    if (this.used < 0) this.used = 0;
    if (this.used <= this.maxBytes && this.waiters.length > 0) this.wake();
  }

  /** Nothing while there is room; a promise resolving when there is again (or the context stopped). */
  room(): Promise<void> | undefined {
    if (this.used <= this.maxBytes || this.closed) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Lets every waiting receiver go: the context is stopping, their next `store` is refused. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
