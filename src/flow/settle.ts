import { type Ack, releaseTaken } from '../core/ack.js';
import { forgetBodyBytes } from '../core/batch-bytes.js';
import { asSluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';

/**
 * Waits for every promise, then rejects with the first failure (if any). Unlike Promise.all it never
 * leaves a branch running unobserved when another branch failed.
 */
export async function settleAll(ps: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(ps);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/**
 * Settles the ack of a batch a runner took from a source (ok when `error` is undefined). The listener
 * is the source's code: if it throws, that is the source's fault, logged under the runner's name
 * (`node n1`, `source r1`), and the runner goes on.
 */
export function settleAck(
  ack: Ack,
  error: Error | undefined,
  logger: Logger,
  runner: 'node' | 'source',
  name: string,
): void {
  try {
    if (error === undefined) ack.ok();
    else ack.fail(error);
  } catch (e) {
    logger.warn(`${runner} ${name}: the source failed on an acknowledgement: ${asSluiceError(e).oneLine()}`);
  }
}

/**
 * A runner done with a batch it took (delivered or failed) lets the module-level caches that remember
 * the last batch go of it, so it does not outlive its turn (core/ack.ts takenBare, core/batch-bytes.ts).
 */
export function letGo(batch: Batch): void {
  releaseTaken(batch);
  forgetBodyBytes(batch);
}
