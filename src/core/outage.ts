import { asSluiceError, errnoOf } from './errors.js';
import type { Logger } from './logger.js';

export interface OutageWords {
  /** What the subject is while failing: `unreachable`, `failing`. */
  down: string;
  /** What it is once an attempt succeeds again: `reachable again`, `delivering again`. */
  up: string;
  /** What the owner does meanwhile; `retrying with backoff` unless said. */
  meanwhile?: string;
}

/**
 * The log of a fault that may heal (a collector down, a disk full) while its owner retries with backoff:
 * one line when the outage starts, one when its cause changes, one when it ends with the number of failed
 * attempts. Never one per retry: a collector down for an hour would otherwise fill the log.
 */
export class OutageLog {
  private failures = 0;
  /** The errno, code or message of the current outage; undefined while healthy. */
  private cause: string | undefined;

  constructor(
    private readonly logger: Logger,
    /** Who fails, as the line starts: `collector 10.0.0.1:35853`, `sink k1`. */
    private readonly subject: string,
    private readonly words: OutageWords = { down: 'failing', up: 'working again' },
  ) {}

  get down(): boolean {
    return this.cause !== undefined;
  }

  /** Failed attempts in the current outage. */
  get attempts(): number {
    return this.failures;
  }

  /** An attempt failed; `reason` replaces the error's own one-line text in the log. */
  failed(e: unknown, reason?: string): void {
    this.failures++;
    const err = asSluiceError(e);
    const cause = errnoOf(e) ?? (err.code === 'SLUICE_INTERNAL' ? err.message : err.code);
    if (cause === this.cause) return;
    const changed = this.cause !== undefined;
    this.cause = cause;
    this.logger.warn(
      `${this.subject} ${this.words.down} (${reason ?? err.oneLine()}), ${this.words.meanwhile ?? 'retrying with backoff'}${
        changed ? ` (${this.failures - 1} failed attempts before)` : ''
      }`,
    );
  }

  /** An attempt succeeded: ends the outage (logged once) if there was one. */
  recovered(): void {
    if (this.cause === undefined) return;
    this.logger.info(`${this.subject} ${this.words.up} after ${this.failures} failed attempts`);
    this.cause = undefined;
    this.failures = 0;
  }
}
