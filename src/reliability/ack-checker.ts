import type { DecoratorDef } from '../catalog/types.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { ACK_CHECKSUM, ACK_TAG, ACK_TYPE, BEG, bodyCrc, decodeChecksum, END, MSG } from './ack-group.js';
import { type AckStore, processAcks } from './ack-store.js';

/** Groups being received at once (a few per agent); beyond it the oldest is forgotten (never acked). */
const MAX_OPEN_GROUPS = 10_000;

interface Receiving {
  tag: string;
  sum: number;
}

/**
 * The collector's side of ack groups: follows each group from "beg" to "end", recomputes its checksum
 * from the "msg" bodies, removes the markers and the ack attributes (what is written is the user's
 * events as sent), and reports the tags of groups that arrived whole and intact. Events without ack
 * attributes pass untouched; a group whose "beg" was missed (the collector restarted in the middle of
 * it) or whose checksum differs is not reported, so the agent sends it again.
 */
export class AckChecker {
  private readonly groups = new Map<string, Receiving>();
  private lastTag: Buffer | undefined;
  private last: Receiving | undefined;
  readonly stats = { groupsOk: 0, groupsBad: 0 };

  constructor(private readonly logger?: Logger) {}

  /** The data events of `batch` (the same array when it holds no marker); complete groups go to `ended`. */
  scan(batch: Batch, ended: string[]): Batch {
    let out: Event[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      const type = e.getAttr(ACK_TYPE);
      if (type === undefined) {
        out?.push(e);
        continue;
      }
      const tagBuf = e.getAttr(ACK_TAG);
      if (same(type, MSG)) {
        if (tagBuf !== undefined) {
          const g = this.lastTag !== undefined && same(this.lastTag, tagBuf) ? this.last : this.find(tagBuf);
          if (g) g.sum = (g.sum ^ bodyCrc(e.body)) >>> 0;
        }
        e.deleteAttr(ACK_TYPE);
        e.deleteAttr(ACK_TAG);
        out?.push(e);
        continue;
      }
      // A marker: never written.
      out ??= batch.slice(0, i);
      if (tagBuf === undefined) continue;
      const tag = tagBuf.toString('utf8');
      if (same(type, BEG)) this.begin(tag, tagBuf);
      else if (same(type, END)) this.end(tag, decodeChecksum(e.getAttr(ACK_CHECKSUM)), ended);
    }
    return out ?? batch;
  }

  private find(tagBuf: Buffer): Receiving | undefined {
    const g = this.groups.get(tagBuf.toString('utf8'));
    if (g) {
      this.lastTag = Buffer.from(tagBuf);
      this.last = g;
    }
    return g;
  }

  private begin(tag: string, tagBuf: Buffer): void {
    // A group sent again starts over: what its earlier, broken sending wrote stays (a duplicate).
    this.groups.delete(tag);
    if (this.groups.size >= MAX_OPEN_GROUPS) {
      const oldest = this.groups.keys().next().value as string;
      this.groups.delete(oldest);
    }
    const g = { tag, sum: 0 };
    this.groups.set(tag, g);
    this.lastTag = Buffer.from(tagBuf);
    this.last = g;
  }

  private end(tag: string, expected: number | undefined, ended: string[]): void {
    const g = this.groups.get(tag);
    this.groups.delete(tag);
    if (this.last === g) {
      this.last = undefined;
      this.lastTag = undefined;
    }
    if (g !== undefined && expected !== undefined && g.sum === expected) {
      this.stats.groupsOk++;
      ended.push(tag);
      return;
    }
    this.stats.groupsBad++;
    this.logger?.warn(
      g === undefined
        ? `ack group ${tag} ended without its beginning: not acknowledged (the agent sends it again)`
        : `ack group ${tag} checksum mismatch (${g.sum} computed, ${expected} sent): not acknowledged`,
    );
  }
}

/**
 * Byte equality of short values (a type, a tag) in JavaScript: per event, the native Buffer#equals
 * costs more in its call than in the comparison. Tags differ at their end (the sequence number).
 */
function same(a: Buffer, b: Buffer): boolean {
  let i = a.length;
  if (i !== b.length) return false;
  while (i-- > 0) if (a[i] !== b[i]) return false;
  return true;
}

export interface AckCheckerSinkOptions {
  store?: AckStore;
  logger?: Logger | undefined;
  /**
   * The child's durability point: when given, complete groups are acknowledged only after the next
   * roll finished (files written, synced and renamed), which this sink runs every `rollMillis`.
   * Without it, a group is acknowledged once the child accepted its last batch.
   */
  roll?: (() => Promise<void>) | undefined;
  rollMillis?: number | undefined;
}

/**
 * ackChecker, and the acknowledging half of collectorSink: checks groups (AckChecker) in front of
 * its child and acknowledges them into the process's AckStore once their data is durable.
 */
export class AckCheckerSink implements EventSink {
  readonly checker: AckChecker;
  private readonly store: AckStore;
  /** Complete groups whose data the child accepted, waiting for the next roll. */
  private awaitingRoll: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private rolling: Promise<void> | undefined;

  constructor(
    private readonly child: EventSink,
    private readonly opts: AckCheckerSinkOptions = {},
  ) {
    this.checker = new AckChecker(opts.logger);
    this.store = opts.store ?? processAcks;
  }

  async open(): Promise<void> {
    await this.child.open();
    const ms = this.opts.rollMillis;
    if (this.opts.roll && ms !== undefined && ms > 0) {
      this.timer = setInterval(() => {
        this.rolling ??= this.roll().finally(() => {
          this.rolling = undefined;
        });
      }, ms);
      this.timer.unref();
    }
  }

  append(batch: Batch): void | Promise<void> {
    const ended: string[] = [];
    const data = this.checker.scan(batch, ended);
    const r = data.length > 0 ? this.child.append(data) : undefined;
    if (ended.length === 0) return r;
    if (!r) {
      this.accepted(ended);
      return;
    }
    return r.then(() => this.accepted(ended));
  }

  private accepted(tags: string[]): void {
    if (this.opts.roll) for (const t of tags) this.awaitingRoll.push(t);
    else for (const t of tags) this.store.acknowledge(t);
  }

  /** Completes the child's files, then acknowledges the groups they hold. */
  private async roll(): Promise<void> {
    const tags = this.awaitingRoll;
    this.awaitingRoll = [];
    try {
      await this.opts.roll!();
    } catch (e) {
      // Their files may be incomplete: not acknowledged, so the agents send them again.
      this.opts.logger?.warn(
        `roll failed; ${tags.length} ack group(s) not acknowledged: ${(e as Error).message}`,
      );
      return;
    }
    for (const t of tags) this.store.acknowledge(t);
  }

  flush(): Promise<void> {
    return this.child.flush ? this.child.flush() : Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.rolling;
    const tags = this.awaitingRoll;
    this.awaitingRoll = [];
    // Closing completes every file: the groups they hold are durable once it succeeded.
    await this.child.close();
    for (const t of tags) this.store.acknowledge(t);
  }
}

export const ackCheckerDeco: DecoratorDef = {
  kind: 'decorator',
  name: 'ackChecker',
  docs:
    'Checks the ack groups made by ackInjector or ackedWriteAhead (begin, end and checksum), removes their ' +
    'markers and ack attributes, and acknowledges each group that arrived intact once its sub sink accepted ' +
    'its last event (collectorSink does the same but acknowledges only after the roll that made the data ' +
    "durable). Agents learn of acknowledgements through checkAck on this process's Avro sources.",
  params: [],
  build: (_args, ctx, child) => new AckCheckerSink(child, { logger: ctx.logger.child('ackChecker') }),
};
