import type { Batch } from '../core/event.js';
import { decodeEvents, encodeEvents } from '../core/eventcodec.js';
import type { Logger } from '../core/logger.js';
import { type FsyncPolicy, RECORD_HEADER_SIZE, WriteAheadLog } from '../storage/wal/index.js';

/**
 * The disk-failover spill: batches a downstream could not take, kept in the segmented log
 * (storage/wal) until they are delivered, oldest first.
 *
 * Records (one per batch, so a crash can only cut a batch that was never accepted):
 *   type 1  batch    := events (core/eventcodec; the event count is the u32 at offset 5)
 *   type 2  drained  := position:u64  every record before `position` was delivered
 *
 * Drained marks live in the same log as the batches, so a batch and the mark that says it left are
 * ordered by one file and need no second checkpoint file. Opening the log replays it once to find the
 * last mark; whole segments before it are deleted as draining moves on. A batch delivered but not yet
 * marked when the process dies is sent again after the restart (at least once).
 */
const BATCH = 1;
const DRAINED = 2;
const MARK_SIZE = 8;
/** Small enough that drained space is given back while an outage's backlog is still draining. */
const SEGMENT_BYTES = 16 * 1024 * 1024;

export interface SpilledBatch {
  batch: Batch;
  /** The position after this batch's record: pass it to `drained`. */
  end: number;
}

export interface SpillStats {
  /** Events written to the spill since it was opened. */
  spilled: number;
  /** Events read back and delivered since it was opened. */
  drained: number;
  /** Events on disk waiting to be delivered (those found at open included). */
  backlog: number;
  /** Events found waiting when the log was opened (left by an earlier run). */
  recovered: number;
}

export interface SpillOptions {
  logger?: Logger;
  fsync?: FsyncPolicy;
  segmentBytes?: number;
}

export class SpillLog {
  readonly stats: SpillStats = { spilled: 0, drained: 0, backlog: 0, recovered: 0 };
  /** The position of the oldest record not yet delivered. */
  private head: number;
  /** Marks appended but not yet written: deleting segments waits for them. */
  private marking: Promise<void> = Promise.resolve();

  private constructor(
    private readonly log: WriteAheadLog,
    head: number,
    backlog: number,
  ) {
    this.head = head;
    this.stats.backlog = this.stats.recovered = backlog;
  }

  /** Opens (or creates) the spill in `dir`, finding what an earlier run left undelivered. */
  static async open(dir: string, opts: SpillOptions = {}): Promise<SpillLog> {
    const log = await WriteAheadLog.open(dir, {
      fsync: opts.fsync ?? 'always',
      maxSegmentBytes: opts.segmentBytes ?? SEGMENT_BYTES,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    try {
      let head = log.firstPosition;
      // Batches seen since the last mark: a mark covers every batch before it, so the list stays short.
      let counts: { position: number; events: number }[] = [];
      await log.replay(log.firstPosition, (type, payload, position) => {
        if (type === DRAINED && payload.length === MARK_SIZE) {
          head = Math.max(head, Number(payload.readBigUInt64BE(0)));
          counts = counts.filter((c) => c.position >= head);
        } else if (type === BATCH && payload.length >= 9) {
          counts.push({ position, events: payload.readUInt32BE(5) });
        }
      });
      let backlog = 0;
      for (const c of counts) if (c.position >= head) backlog += c.events;
      return new SpillLog(log, head, backlog);
    } catch (e) {
      await log.close().catch(() => {});
      throw e;
    }
  }

  get dir(): string {
    return this.log.dir;
  }

  /** Bytes of records not yet delivered (marks included: they are few). */
  get backlogBytes(): number {
    return this.log.endPosition - this.head;
  }

  get empty(): boolean {
    return this.stats.backlog === 0;
  }

  /** Writes a batch; resolves once it is on disk (synced under the default policy). */
  async spill(batch: Batch): Promise<void> {
    await this.log.append([encodeEvents(batch)], BATCH);
    this.stats.spilled += batch.length;
    this.stats.backlog += batch.length;
  }

  /** The oldest undelivered batch, or null when everything written so far was delivered. */
  async oldest(): Promise<SpilledBatch | null> {
    for (;;) {
      if (this.head >= this.log.endPosition) return null;
      const { type, payload } = await this.log.read(this.head);
      const end = this.head + RECORD_HEADER_SIZE + payload.length;
      if (type === BATCH) return { batch: decodeEvents(payload), end };
      // A mark (or a record type a later version wrote): nothing to deliver.
      this.head = end;
    }
  }

  /** Records that the batch ending at `end` was delivered. */
  drained(spilled: SpilledBatch): void {
    if (spilled.end <= this.head) return;
    this.head = spilled.end;
    const n = spilled.batch.length;
    this.stats.drained += n;
    this.stats.backlog = Math.max(0, this.stats.backlog - n);
    const mark = Buffer.allocUnsafe(MARK_SIZE);
    mark.writeBigUInt64BE(BigInt(spilled.end), 0);
    const head = this.head;
    // Not awaited: losing the mark to a crash only sends this batch again. Segments before it are
    // deleted once the mark is written, so a restart never looks for a mark in a deleted segment.
    this.marking = this.marking
      .then(() => this.log.append([mark], DRAINED))
      .then(() => this.log.releaseBefore(head))
      .then(
        () => undefined,
        () => undefined,
      );
  }

  async close(): Promise<void> {
    await this.marking;
    await this.log.close();
  }
}
