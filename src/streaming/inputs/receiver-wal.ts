import { SluiceError } from '../../core/errors.js';
import { decodeEvents, encodeEvents } from '../../core/eventcodec.js';
import type { Logger } from '../../core/logger.js';
import { type FsyncPolicy, WriteAheadLog } from '../../storage/wal/index.js';
import { SparkFlumeEvent } from '../flume-event.js';

/**
 * The receiver write-ahead log: what a receiver received is written (and synced) here before the
 * engine acks it to its sender, so a crash after the ack loses nothing: at restart the engine replays
 * the blocks not yet processed, as Spark's `spark.streaming.receiver.writeAheadLog.enable`.
 *
 * One log record per block: its time, the id of the stream that received it, and its records in the
 * stream's codec:
 *
 *   block   := version:u8(=1) time:f64 stream:u32 records
 *   records := the codec's bytes (Flume events: Sluice's event codec, core/eventcodec.ts; lines: UTF-8
 *              joined by "\n" after a u32 count; anything else: JSON)
 *
 * `truncate(t)` drops whole log segments whose blocks all have a time at or before `t` (the engine calls
 * it once every batch up to `t` is processed and checkpointed), so the disk holds what is unprocessed
 * plus at most one segment.
 */
export interface LoggedBlock<T> {
  /** When the block was received (ms): truncation goes by it. */
  readonly time: number;
  /** Which input stream received it, so replay hands it back to the same stream. */
  readonly stream: number;
  readonly records: readonly T[];
}

/** How a stream's records become bytes in the log and back. */
export interface RecordCodec<T> {
  readonly name: string;
  encode(records: readonly T[]): Buffer;
  decode(bytes: Buffer): T[];
}

export const flumeEventCodec: RecordCodec<SparkFlumeEvent> = {
  name: 'flume-events',
  encode: (records) => encodeEvents(records.map((r) => r.event)),
  // Copies: the log's read buffer would otherwise stay alive as long as any one event.
  decode: (bytes) => decodeEvents(bytes, { copy: true }).map((e) => new SparkFlumeEvent(e)),
};

export const lineCodec: RecordCodec<string> = {
  name: 'lines',
  encode(records) {
    const text = Buffer.from(records.join('\n'), 'utf8');
    const out = Buffer.allocUnsafe(4 + text.length);
    out.writeUInt32BE(records.length, 0);
    text.copy(out, 4);
    return out;
  },
  decode(bytes) {
    const n = bytes.readUInt32BE(0);
    if (n === 0) return [];
    const lines = bytes.toString('utf8', 4).split('\n');
    if (lines.length !== n)
      throw new SluiceError('SLUICE_FORMAT', `a block of ${n} lines holds ${lines.length}`);
    return lines;
  },
};

/** Any JSON-serializable records (queueStream of plain values, custom receivers). */
export const jsonCodec: RecordCodec<unknown> = {
  name: 'json',
  encode: (records) => Buffer.from(JSON.stringify(records), 'utf8'),
  decode: (bytes) => JSON.parse(bytes.toString('utf8')) as unknown[],
};

const BLOCK_VERSION = 1;
const BLOCK_HEADER = 1 + 8 + 4;
/** The log's record type for blocks (a type byte lets later versions add other records). */
const BLOCK_RECORD = 1;

export interface ReceiverWalOptions {
  /** `always` (default): a block is acked only once fsynced; `interval`: once written to the OS. */
  fsync?: FsyncPolicy | undefined;
  maxSegmentBytes?: number | undefined;
  logger?: Logger | undefined;
}

/** Where one append landed, for truncation: its start position and its newest block time. */
interface Mark {
  start: number;
  time: number;
}

export class ReceiverWal {
  private readonly marks: Mark[] = [];
  /** Newest block time logged so far: marks carry the running maximum, so truncation never cuts ahead. */
  private newest = -Infinity;

  private constructor(
    private readonly log: WriteAheadLog,
    private readonly codecs: ReadonlyMap<number, RecordCodec<unknown>>,
  ) {}

  /**
   * Opens (or creates) the log in `dir`. `codecs` maps each stream id to its codec; a logged block of a
   * stream with no codec is a SLUICE_STORAGE error at replay (the application changed its inputs).
   */
  static async open(
    dir: string,
    codecs: ReadonlyMap<number, RecordCodec<unknown>>,
    opts: ReceiverWalOptions = {},
  ): Promise<ReceiverWal> {
    const log = await WriteAheadLog.open(dir, {
      fsync: opts.fsync ?? 'always',
      maxSegmentBytes: opts.maxSegmentBytes ?? 16 * 1024 * 1024,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    return new ReceiverWal(log, codecs);
  }

  get dir(): string {
    return this.log.dir;
  }

  /** Segment files on disk now (for tests and the report). */
  get segmentCount(): number {
    return this.log.segments.length;
  }

  /** Resolves once every block is durable (one write and one sync for the lot, shared with concurrent appends). */
  async append(blocks: readonly LoggedBlock<unknown>[]): Promise<void> {
    if (blocks.length === 0) return;
    const payloads = new Array<Buffer>(blocks.length);
    let time = this.newest;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      const body = this.codec(b.stream).encode(b.records);
      const head = Buffer.allocUnsafe(BLOCK_HEADER);
      head.writeUInt8(BLOCK_VERSION, 0);
      head.writeDoubleBE(b.time, 1);
      head.writeUInt32BE(b.stream, 9);
      payloads[i] = Buffer.concat([head, body]);
      if (b.time > time) time = b.time;
    }
    this.newest = time;
    const at = await this.log.append(payloads, BLOCK_RECORD);
    this.marks.push({ start: at.start, time });
  }

  /** Every block still in the log, oldest first (the engine keeps those newer than its checkpoint). */
  async *replay(): AsyncIterable<LoggedBlock<unknown>> {
    const found: LoggedBlock<unknown>[] = [];
    this.marks.length = 0;
    let newest = -Infinity;
    await this.log.replay(this.log.firstPosition, (type, payload, position) => {
      if (type !== BLOCK_RECORD) return;
      const block = this.decodeBlock(payload, position);
      if (block.time > newest) newest = block.time;
      this.marks.push({ start: position, time: newest });
      found.push(block);
    });
    if (newest > this.newest) this.newest = newest;
    yield* found;
  }

  /** Forgets the blocks received at or before `time`: whole segments holding only those are deleted. */
  async truncate(time: number): Promise<void> {
    let i = 0;
    while (i < this.marks.length && this.marks[i]!.time <= time) i++;
    const keepFrom = i < this.marks.length ? this.marks[i]!.start : this.log.endPosition;
    this.marks.splice(0, i);
    await this.log.releaseBefore(keepFrom);
  }

  close(): Promise<void> {
    return this.log.close();
  }

  private codec(stream: number): RecordCodec<unknown> {
    const c = this.codecs.get(stream);
    if (c === undefined) {
      throw new SluiceError(
        'SLUICE_STORAGE',
        `no record codec for input stream ${stream} in the receiver log`,
        {
          place: { file: this.log.dir },
        },
      );
    }
    return c;
  }

  private decodeBlock(payload: Buffer, position: number): LoggedBlock<unknown> {
    if (payload.length < BLOCK_HEADER || payload[0] !== BLOCK_VERSION) {
      throw new SluiceError(
        'SLUICE_STORAGE',
        `receiver log record at position ${position} is not a version ${BLOCK_VERSION} block`,
        { place: { file: this.log.dir } },
      );
    }
    const stream = payload.readUInt32BE(9);
    return {
      time: payload.readDoubleBE(1),
      stream,
      records: this.codec(stream).decode(payload.subarray(BLOCK_HEADER)),
    };
  }
}
