/**
 * The acknowledged group tags a collector process knows (the master's ack table in Flume OG). Collector
 * sinks `acknowledge` a group once its data is durable; agents ask `check` over the collector's Avro
 * port (ack-service.ts). Memory is bounded: at most `maxTags` tags, each kept for `retainMs`; an agent
 * that asks about a forgotten tag simply sends that group again (a duplicate, never a loss).
 */
export interface AckStoreOptions {
  maxTags?: number;
  retainMs?: number;
  now?: () => number;
}

export class AckStore {
  /** Tag -> time acknowledged; insertion order is age order, so eviction takes from the front. */
  private readonly tags = new Map<string, number>();
  private readonly maxTags: number;
  private readonly retainMs: number;
  private readonly now: () => number;
  acknowledged = 0;
  /** Tags acknowledged since the last `takeReported`, while a master is to be told (reportTo). */
  private outbox: string[] | undefined;

  constructor(opts: AckStoreOptions = {}) {
    this.maxTags = opts.maxTags ?? 100_000;
    this.retainMs = opts.retainMs ?? 3_600_000;
    this.now = opts.now ?? Date.now;
  }

  acknowledge(tag: string): void {
    const now = this.now();
    if (this.tags.has(tag)) this.tags.delete(tag);
    this.tags.set(tag, now);
    this.acknowledged++;
    this.evict(now);
    if (this.outbox !== undefined) {
      // Bounded like the table: a tag dropped here is never acknowledged at the master, so its agent
      // sends the group again (a duplicate, never a loss).
      if (this.outbox.length >= this.maxTags) this.outbox.shift();
      this.outbox.push(tag);
    }
  }

  /** From now on keeps the tags acknowledged for a master to learn of (a node under a master). */
  reportToMaster(): void {
    this.outbox ??= [];
  }

  /** The tags acknowledged since the last call, oldest first, at most `max`. */
  takeReported(max: number): string[] {
    if (this.outbox === undefined || this.outbox.length === 0) return [];
    return this.outbox.splice(0, max);
  }

  /** The tags of `asked` that are acknowledged. */
  check(asked: readonly string[]): string[] {
    this.evict(this.now());
    const out: string[] = [];
    for (const t of asked) if (this.tags.has(t)) out.push(t);
    return out;
  }

  get size(): number {
    return this.tags.size;
  }

  private evict(now: number): void {
    for (const [tag, at] of this.tags) {
      if (this.tags.size <= this.maxTags && now - at <= this.retainMs) break;
      this.tags.delete(tag);
    }
  }
}

/**
 * The store of this process: every collector sink acknowledges into it and every Sluice Avro source
 * answers checkAck from it, as one master would for the whole process.
 */
export const processAcks = new AckStore();
