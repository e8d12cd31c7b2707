import { SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import { decodeEvents, encodedSize, writeEvents } from '../core/eventcodec.js';
import type { Logger } from '../core/logger.js';
import { SEGMENT_HEADER_SIZE, WriteAheadLog } from '../storage/wal/index.js';

/**
 * The agent's write-ahead log of ack groups, on the segmented log the file channel uses
 * (storage/wal). Records, in log order:
 *
 *   BEGIN tag     a group starts: the batches that follow belong to it
 *   BATCH events  one accepted batch (core/eventcodec), durable before the append that wrote it returns
 *   END tag       the group is complete (rolled): nothing more joins it
 *   ACK tag       the collector acknowledged the group: it is never sent again
 *
 * Retention is by acknowledgement: whole segments older than the oldest group not yet acknowledged are
 * deleted. Opening the log replays it: every group with no ACK is pending (sent again after a restart,
 * with its tag), and a group a crash left open is ended there.
 */
const BEGIN = 1;
const BATCH = 2;
const END = 3;
const ACK = 4;

export interface LogGroup {
  readonly tag: string;
  readonly tagBytes: Buffer;
  /** Log position of the BEGIN record: nothing older than the oldest pending group's start is kept. */
  readonly start: number;
  /** Positions of the group's BATCH records, in order. */
  readonly positions: number[];
  events: number;
  /** Encoded bytes of the group's batches. */
  bytes: number;
  ended: boolean;
  acked: boolean;
  /** Set when the BEGIN record could not be written. */
  failed?: Error;
}

export interface AgentLogOptions {
  /** Segment size: retention deletes whole segments, so smaller ones free space sooner. */
  maxSegmentBytes?: number;
  logger?: Logger;
}

const EVENT_COUNT_OFFSET = 5;
/** Encoding buffers kept for reuse: as many as appends may be in flight, each at most 4 MiB. */
const KEPT_BUFFERS = 8;
const MAX_KEPT_BUFFER = 4 * 1024 * 1024;
const MIN_ENCODE_BUFFER = 64 * 1024;

export class AgentLog {
  /** Groups not acknowledged, oldest first (ended ones and the open one). */
  private readonly live: LogGroup[] = [];
  private current: LogGroup | undefined;
  /** Encoding buffers whose batches are written, for the next batches (see write()). */
  private readonly buffers: Buffer[] = [];

  private constructor(
    readonly wal: WriteAheadLog,
    /** Groups found pending when the log was opened, oldest first, all ended. */
    readonly recovered: readonly LogGroup[],
  ) {
    for (const g of recovered) this.live.push(g);
  }

  static async open(dir: string, opts: AgentLogOptions = {}): Promise<AgentLog> {
    const maxSegmentBytes = opts.maxSegmentBytes ?? 16 * 1024 * 1024;
    const wal = await WriteAheadLog.open(dir, {
      maxSegmentBytes,
      // Every append is synced before the node reads on: syncs into written blocks are the cheap kind.
      preallocateBytes: maxSegmentBytes,
      fsync: 'always',
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    try {
      const groups = new Map<string, LogGroup>();
      let open: LogGroup | undefined;
      await wal.replay(wal.firstPosition, (type, payload, position) => {
        switch (type) {
          case BEGIN: {
            const tag = payload.toString('utf8');
            open = newGroup(tag, position);
            groups.set(tag, open);
            break;
          }
          case BATCH:
            // A batch of a group whose BEGIN was released with its segment was acknowledged.
            if (open) {
              open.positions.push(position);
              open.events += payload.readUInt32BE(EVENT_COUNT_OFFSET);
              open.bytes += payload.length;
            }
            break;
          case END: {
            const g = groups.get(payload.toString('utf8'));
            if (g) g.ended = true;
            if (open === g) open = undefined;
            break;
          }
          case ACK:
            groups.delete(payload.toString('utf8'));
            break;
          default:
            throw new SluiceError('SLUICE_STORAGE', `unknown record type ${type} in agent log ${dir}`, {
              place: { file: dir },
            });
        }
      });
      const pending = [...groups.values()];
      const log = new AgentLog(wal, pending);
      for (const g of pending) {
        // Ended here, after the crash: the group is sent again exactly as far as it reached the disk.
        if (!g.ended) {
          await wal.append([g.tagBytes], END);
          g.ended = true;
        }
      }
      await log.release();
      return log;
    } catch (e) {
      await wal.close().catch(() => {});
      throw e;
    }
  }

  /** The group batches are appended to (undefined until `begin`). */
  get open(): LogGroup | undefined {
    return this.current;
  }

  /** Groups not acknowledged, including the open one. */
  get pending(): readonly LogGroup[] {
    return this.live;
  }

  /** Bytes of the log's records and segment headers (the active segment's zero-filled rest not counted). */
  get bytesOnDisk(): number {
    return this.wal.endPosition - this.wal.firstPosition + SEGMENT_HEADER_SIZE * this.wal.segments.length;
  }

  /**
   * Starts a group; its BEGIN record shares the group commit of the first batch. The group's start is
   * the position written so far, at or before where BEGIN lands, so retention never passes it.
   */
  begin(tag: string): LogGroup {
    if (this.current) throw new SluiceError('SLUICE_INTERNAL', `group ${this.current.tag} is still open`);
    const g = newGroup(tag, this.wal.endPosition);
    // A failed write also fails the batch appended behind it in the same group commit: that is
    // where the caller hears of it.
    this.wal.append([g.tagBytes], BEGIN).catch((e: unknown) => {
      g.failed = e as Error;
    });
    this.current = g;
    this.live.push(g);
    return g;
  }

  /**
   * Appends a batch to the open group; resolves once it is on disk (synced) with the batch's index in
   * the group and its encoded size.
   */
  append(batch: Batch): Promise<{ index: number; bytes: number }> {
    return this.write(batch).durable;
  }

  /**
   * The same, saying at once how many bytes the batch takes in the log (it is encoded before this
   * returns, so the caller may reuse nothing and bound what it has in flight). Batches written before
   * an earlier one is durable share its group commit's next sync, and become durable in order.
   */
  write(batch: Batch): { bytes: number; durable: Promise<{ index: number; bytes: number }> } {
    const g = this.current;
    if (!g) throw new SluiceError('SLUICE_INTERNAL', 'no open group');
    const size = encodedSize(batch);
    const buf = this.encodeBuffer(size);
    writeEvents(batch, buf, 0);
    const bytes = size;
    const written = this.wal.append([buf.subarray(0, size)], BATCH);
    // Once written the bytes are the disk's: the buffer encodes a later batch (no fresh, page-faulting
    // allocation of a batch's size per batch).
    const recycle = () => this.recycle(buf);
    written.then(recycle, recycle);
    const durable = written.then((r) => {
      // Without its BEGIN on disk the batch would join another group at recovery: refuse it.
      if (g.failed) throw g.failed;
      g.positions.push(r.start);
      g.events += batch.length;
      g.bytes += bytes;
      return { index: g.positions.length - 1, bytes };
    });
    return { bytes, durable };
  }

  /** A buffer of at least `size` bytes for encoding a batch, from those whose batches were written. */
  private encodeBuffer(size: number): Buffer {
    const free = this.buffers;
    for (let i = free.length - 1; i >= 0; i--) {
      const b = free[i]!;
      if (b.length >= size) {
        free.splice(i, 1);
        return b;
      }
    }
    return Buffer.allocUnsafe(Math.max(size, MIN_ENCODE_BUFFER));
  }

  private recycle(buf: Buffer): void {
    if (buf.length <= MAX_KEPT_BUFFER && this.buffers.length < KEPT_BUFFERS) this.buffers.push(buf);
  }

  /** Ends the open group (nothing joins it any more) and returns it. */
  async end(): Promise<LogGroup | undefined> {
    const g = this.current;
    if (!g) return undefined;
    this.current = undefined;
    await this.wal.append([g.tagBytes], END);
    g.ended = true;
    return g;
  }

  /** The group was acknowledged: recorded, and the segments only older groups used are deleted. */
  async acknowledge(g: LogGroup): Promise<void> {
    if (g.acked) return;
    g.acked = true;
    const i = this.live.indexOf(g);
    if (i >= 0) this.live.splice(i, 1);
    await this.wal.append([g.tagBytes], ACK);
    await this.release();
  }

  /** Reads back one batch of a group (for sending it again). */
  async read(position: number): Promise<Batch> {
    const { type, payload } = await this.wal.read(position);
    if (type !== BATCH) {
      throw new SluiceError('SLUICE_STORAGE', `no batch at position ${position} of ${this.wal.dir}`, {
        place: { file: this.wal.dir },
      });
    }
    return decodeEvents(payload);
  }

  close(): Promise<void> {
    return this.wal.close();
  }

  private async release(): Promise<void> {
    let oldest = this.wal.endPosition;
    for (const g of this.live) if (g.start < oldest) oldest = g.start;
    await this.wal.releaseBefore(oldest);
  }
}

function newGroup(tag: string, start: number): LogGroup {
  return {
    tag,
    tagBytes: Buffer.from(tag, 'utf8'),
    start,
    positions: [],
    events: 0,
    bytes: 0,
    ended: false,
    acked: false,
  };
}
