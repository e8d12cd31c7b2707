import type { Logger } from '../core/logger.js';

/** Most distinct (peer, kind) pairs remembered; beyond it losses are only counted, never logged. */
const MAX_REMEMBERED = 4096;

/**
 * Warns about a kind of loss (a cut line, a skipped frame, a dropped datagram) once per sender: a client
 * that sends garbage in a loop makes one line, not one per message, and the source's stats keep the
 * counts. Memory stays bounded however many senders there are.
 */
export class PeerNotices {
  private readonly seen = new Set<string>();

  constructor(private readonly logger: Logger | undefined) {}

  warn(peer: string, kind: string, message: () => string): void {
    if (this.logger === undefined || this.seen.size >= MAX_REMEMBERED) return;
    const key = `${kind} ${peer}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.logger.warn(`${message()}; further ones from ${peer} are only counted`);
  }
}
