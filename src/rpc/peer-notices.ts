import type { Logger } from '../core/logger.js';

/** Most distinct (peer, kind) pairs remembered; beyond it further ones are only counted, never logged. */
const MAX_REMEMBERED = 4096;

/**
 * Warns about a kind of trouble with a peer (a refused or timed-out connection, a failed TLS handshake,
 * a cut line, a dropped datagram) once per peer and kind: a client that misbehaves in a loop makes one
 * line, not one per connection or message, and the caller's stats keep the counts. Memory stays bounded
 * however many peers there are. Every listening port (ConnectionGuard) and network source logs through
 * one of these.
 */
export class PeerNotices {
  private readonly seen = new Set<string>();

  constructor(private readonly logger: Logger | undefined) {}

  /** Logs `line()` the first time `kind` happens with `peer`. */
  once(peer: string, kind: string, line: () => string): void {
    if (this.logger === undefined || this.seen.size >= MAX_REMEMBERED) return;
    const key = `${kind} ${peer}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.logger.warn(line());
  }

  /** As `once`, saying that further ones are only counted. */
  warn(peer: string, kind: string, message: () => string): void {
    this.once(peer, kind, () => `${message()}; further ones from ${peer} are only counted`);
  }
}
