import type { MasterData } from './store.js';

/**
 * The master's ack table (Flume OG's master kept one): the group tags collectors acknowledged, as
 * tag -> ms acknowledged in MasterData, so it is saved with the rest of the state and any master
 * sharing the store answers an agent's checkAck. Insertion order is age order (tags are never
 * integer-like keys), so expiry takes from the front. Bounded by count and by age: an agent asking
 * about a forgotten tag sends its group again (a duplicate, never a loss), and it asks every
 * flume.agent.ack.poll ms, far sooner than a tag expires.
 */
export interface AckBounds {
  /** Most tags kept. */
  maxTags: number;
  /** How long a tag is kept after it was acknowledged (ms). */
  retainMs: number;
}

/** At most this many tags in one acknowledge or checkAck (the collector's Avro checkAck has the same). */
export const MAX_ACK_TAGS = 10_000;

/**
 * Defaults: 10 times flume.agent.logdir.retransmit (an agent sends an unacknowledged group again after
 * one), and 20,000 tags: the table is saved with every change, so it stays a few hundred KiB.
 */
export function ackBounds(retransmitMs: number, maxTags = 20_000): AckBounds {
  return { maxTags, retainMs: 10 * retransmitMs };
}

function expire(table: Record<string, number>, now: number, b: AckBounds): void {
  let size = Object.keys(table).length;
  for (const tag in table) {
    if (size <= b.maxTags && now - table[tag]! <= b.retainMs) break;
    delete table[tag];
    size--;
  }
}

/** Records `tags` as acknowledged at `now`; a tag acknowledged again moves to the back. */
export function recordAcks(data: MasterData, tags: readonly string[], now: number, b: AckBounds): void {
  const table = (data.acks ??= {});
  for (const t of tags) {
    delete table[t];
    table[t] = now;
  }
  expire(table, now, b);
}

/** The tags of `asked` that are acknowledged and not yet expired. */
export function checkAcks(data: MasterData, asked: readonly string[], now: number, b: AckBounds): string[] {
  const table = data.acks;
  if (table === undefined) return [];
  const out: string[] = [];
  for (const t of asked) {
    const at = table[t];
    if (at !== undefined && now - at <= b.retainMs) out.push(t);
  }
  return out;
}

/** Whether `v` is a list of tags as the wire may carry them. */
export function isTagList(v: unknown): v is string[] {
  return (
    Array.isArray(v) &&
    v.length <= MAX_ACK_TAGS &&
    v.every((t) => typeof t === 'string' && t.length > 0 && t.length <= 512)
  );
}
