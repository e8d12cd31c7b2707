import { Event, localHost } from '../core/event.js';
import { Priority } from '../core/priority.js';

/**
 * Attributes that mark Sluice's wrapper events. The names are Flume OG's; unbatch and gunzip also
 * check the body's magic bytes, so a user attribute that happens to share a name is harmless.
 * The value is the number of wrapped events (batch) or of uncompressed bytes (gzip), 4 bytes big-endian.
 */
export const BATCH_ATTR = 'batchSize';
export const GZIP_ATTR = 'gzipSize';

export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function readU32(b: Buffer | undefined): number | undefined {
  return b !== undefined && b.length === 4 ? b.readUInt32BE(0) : undefined;
}

/**
 * A wrapper event whose body is framing, not user data: it is exempt from the body size limit (which
 * applies to the events inside), so it is built empty and given its body afterwards.
 */
export function wrapperEvent(body: Buffer, like?: Event): Event {
  const e = like
    ? new Event(Buffer.alloc(0), like.timestamp, like.priority, like.nanos, like.host)
    : new Event(Buffer.alloc(0), Date.now(), Priority.INFO, undefined, localHost());
  e.body = body;
  return e;
}
