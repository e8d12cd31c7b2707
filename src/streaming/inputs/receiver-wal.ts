import { SluiceError } from '../../core/errors.js';
import { decodeEvents, encodeEvents } from '../../core/eventcodec.js';
import type { Logger } from '../../core/logger.js';
import { type FsyncPolicy, WriteAheadLog } from '../../storage/wal/index.js';
import { decodeCheckpoint, encodeCheckpoint } from '../codec.js';
import { estimatedBytes, SparkFlumeEvent } from '../flume-event.js';
import type { ReceivedBlock } from '../receiver.js';
import type { ReceiverLog, ReceiverLogFactory } from '../receiver-log.js';

/**
 * The receiver write-ahead log (engine's ReceiverLog, one per receiver input stream): a block is
 * written and synced here before the engine acks it to its sender, so a SIGKILL after the ack loses
 * nothing; at restart the engine replays the blocks its last checkpoint does not cover, as Spark's
 * `spark.streaming.receiver.writeAheadLog.enable`.
 *
 * One log record per block, its records in the codec that fits them (chosen per block, so the log
 * needs to know nothing of the receiver):
 *
 *   block   := version:u8(=1) codec:u8 time:f64 records
 *   codec 1 := Flume events (SparkFlumeEvent): Sluice's event codec (core/eventcodec.ts), every field kept
 *   codec 2 := strings (lines): count:u32 then the strings joined by "\n"
 *   codec 3 := anything else: the checkpoint JSON (streaming/codec.ts: Buffers and Maps survive)
 *
 * `truncate(t)` forgets the blocks appended before `t`: it logs a truncation mark (replay skips the
 * blocks older than the last mark, which may share a segment with newer ones) and deletes the whole
 * segments holding only older blocks, so the disk holds the unprocessed blocks plus at most one segment.
 */
/** How one kind of records becomes bytes in the log and back. */
interface RecordCodec {
  readonly id: number;
  fits(records: readonly unknown[]): boolean;
  encode(records: readonly unknown[]): Buffer;
  decode(bytes: Buffer): { records: unknown[]; bytes: number };
}

const flumeEvents: RecordCodec = {
  id: 1,
  fits: (records) => records.every((r) => r instanceof SparkFlumeEvent),
  encode: (records) => encodeEvents((records as SparkFlumeEvent[]).map((r) => r.event)),
  decode(bytes) {
    // Copies: the log's read buffer would otherwise stay alive as long as any one event.
    const events = decodeEvents(bytes, { copy: true });
    let size = 0;
    const records = events.map((e) => {
      size += estimatedBytes(e);
      return new SparkFlumeEvent(e);
    });
    return { records, bytes: size };
  },
};

const lines: RecordCodec = {
  id: 2,
  fits: (records) => records.every((r) => typeof r === 'string'),
  encode(records) {
    const text = Buffer.from((records as string[]).join('\n'), 'utf8');
    const out = Buffer.allocUnsafe(4 + text.length);
    out.writeUInt32BE(records.length, 0);
    text.copy(out, 4);
    return out;
  },
  decode(bytes) {
    const n = bytes.readUInt32BE(0);
    const records = n === 0 ? [] : bytes.toString('utf8', 4).split('\n');
    if (records.length !== n)
      throw new SluiceError('SLUICE_FORMAT', `a block of ${n} lines holds ${records.length}`);
    return { records, bytes: (bytes.length - 4) * 2 + n * 48 };
  },
};

const json: RecordCodec = {
  id: 3,
  fits: () => true,
  encode: (records) => Buffer.from(encodeCheckpoint(records), 'utf8'),
  decode: (bytes) => ({
    records: decodeCheckpoint(bytes.toString('utf8')) as unknown[],
    bytes: bytes.length * 2,
  }),
};

const CODECS: readonly RecordCodec[] = [flumeEvents, lines, json];

const BLOCK_VERSION = 1;
const BLOCK_HEADER = 1 + 1 + 8;
/** The log's record types: a block, and a truncation mark (time:f64, replay skips blocks before it). */
const BLOCK_RECORD = 1;
const TRUNCATED_RECORD = 2;

export interface ReceiverWalOptions {
  /** `always` (default): a block is acked only once fsynced; `interval`: once written to the OS. */
  fsync?: FsyncPolicy | undefined;
  maxSegmentBytes?: number | undefined;
  logger?: Logger | undefined;
}

/** Where one append landed, for truncation: its start position and the context time it was made at. */
interface Mark {
  start: number;
  time: number;
}

export class ReceiverWal implements ReceiverLog {
  /** One per append, oldest first; appends are made in time order, so truncation cuts a prefix. */
  private readonly marks: Mark[] = [];

  private constructor(private readonly log: WriteAheadLog) {}

  /** Opens (or creates) the log in `dir`, cutting a torn tail a crash left. */
  static async open(dir: string, opts: ReceiverWalOptions = {}): Promise<ReceiverWal> {
    const log = await WriteAheadLog.open(dir, {
      fsync: opts.fsync ?? 'always',
      maxSegmentBytes: opts.maxSegmentBytes ?? 16 * 1024 * 1024,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    return new ReceiverWal(log);
  }

  get dir(): string {
    return this.log.dir;
  }

  /** Segment files on disk now. */
  get segmentCount(): number {
    return this.log.segments.length;
  }

  /** Resolves once every block is durable (one write and one sync, shared with concurrent appends). */
  async append(blocks: readonly ReceivedBlock<unknown>[], time: number): Promise<void> {
    if (blocks.length === 0) return;
    const payloads = new Array<Buffer>(blocks.length);
    for (let i = 0; i < blocks.length; i++) {
      const records = blocks[i]!.records;
      const codec = CODECS.find((c) => c.fits(records))!;
      const head = Buffer.allocUnsafe(BLOCK_HEADER);
      head.writeUInt8(BLOCK_VERSION, 0);
      head.writeUInt8(codec.id, 1);
      head.writeDoubleBE(time, 2);
      payloads[i] = Buffer.concat([head, codec.encode(records)]);
    }
    const at = await this.log.append(payloads, BLOCK_RECORD);
    this.marks.push({ start: at.start, time });
  }

  /**
   * Every block still in the log, oldest first, as records without acks. They are read segment by
   * segment at open: the log holds what the last checkpoint did not cover.
   */
  async *replay(): AsyncIterable<ReceivedBlock<unknown>> {
    const found: { block: ReceivedBlock<unknown>; time: number }[] = [];
    let truncatedBefore = -Infinity;
    this.marks.length = 0;
    await this.log.replay(this.log.firstPosition, (type, payload, position) => {
      if (type === TRUNCATED_RECORD) {
        truncatedBefore = Math.max(truncatedBefore, payload.readDoubleBE(0));
        return;
      }
      if (type !== BLOCK_RECORD) return;
      const b = this.decodeBlock(payload, position);
      this.marks.push({ start: position, time: b.time });
      found.push(b);
    });
    for (const b of found) if (b.time >= truncatedBefore) yield b.block;
  }

  /** Forgets the blocks appended before `time`: replay skips them, and segments holding only them go. */
  async truncate(time: number): Promise<void> {
    let i = 0;
    while (i < this.marks.length && this.marks[i]!.time < time) i++;
    if (i === 0) return;
    const keepFrom = i < this.marks.length ? this.marks[i]!.start : this.log.endPosition;
    this.marks.splice(0, i);
    const mark = Buffer.allocUnsafe(8);
    mark.writeDoubleBE(time, 0);
    await this.log.append([mark], TRUNCATED_RECORD);
    await this.log.releaseBefore(keepFrom);
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private decodeBlock(payload: Buffer, position: number): { block: ReceivedBlock<unknown>; time: number } {
    const codec = CODECS.find((c) => c.id === payload[1]);
    if (payload.length < BLOCK_HEADER || payload[0] !== BLOCK_VERSION || codec === undefined) {
      throw new SluiceError(
        'SLUICE_STORAGE',
        `receiver log record at position ${position} is not a version ${BLOCK_VERSION} block of a known codec`,
        { place: { file: this.log.dir } },
      );
    }
    return { block: codec.decode(payload.subarray(BLOCK_HEADER)), time: payload.readDoubleBE(2) };
  }
}

/**
 * The context option that gives every receiver a write-ahead log under the checkpoint directory:
 * `new StreamingContext({ batchIntervalMs, receiverLog: receiverWriteAheadLog() })`.
 */
export function receiverWriteAheadLog(opts: ReceiverWalOptions = {}): ReceiverLogFactory {
  return (target) => ReceiverWal.open(target.dir, opts);
}
