import { closeSync, fsyncSync, openSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ioError, SluiceError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import {
  decodeSegmentHeader,
  encodeSegmentHeader,
  MAX_RECORD_SIZE,
  parseSegmentName,
  RECORD_HEADER_SIZE,
  recordCrc,
  SEGMENT_HEADER_SIZE,
  segmentName,
  writeRecordHeader,
} from './format.js';
import { lockDir } from './lock.js';
import { scanRecords } from './scan.js';

/**
 * When appended records reach the disk:
 * - `always`: every group commit ends with one fdatasync before its appends resolve (survives power loss);
 * - `interval`: appends resolve once written to the OS (survives a killed process); a timer syncs;
 * - `never`: the OS decides (benchmarks, scratch logs).
 */
export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface WalOptions {
  /** A segment is rolled before an append would make it larger (a bigger single append gets its own). */
  maxSegmentBytes?: number;
  fsync?: FsyncPolicy;
  /** How often `interval` syncs. */
  fsyncIntervalMs?: number;
  /**
   * Zero-fill each new segment to this many bytes before writing records into it (default 0: off). A
   * sync of a write into blocks already written changes no file size or allocation, so it costs the
   * disk a data write and no journal commit: about half the latency of an appending one on ext4. A
   * segment is cut back to its records when it is rolled or the log closes; recovery takes a zero tail
   * for what it is. For logs that sync every append (the agent's write-ahead log).
   */
  preallocateBytes?: number;
  logger?: Logger;
}

/** Where an append landed: the position of its first record and the position after its last. */
export interface WalAppend {
  start: number;
  end: number;
}

/** What recovery cut from the last segment when it opened the log. */
export interface WalRecovery {
  file: string;
  offset: number;
  droppedBytes: number;
  reason: string;
}

export interface WalSegment {
  file: string;
  /** Position of the first record. */
  base: number;
  /** Position after the last record written so far. */
  end: number;
}

export interface WalStats {
  appends: number;
  records: number;
  /** Group commits: each is one write (or one per segment it spans) and at most one sync. */
  groups: number;
  syncs: number;
  bytes: number;
}

export type WalVisitor = (type: number, payload: Buffer, position: number) => void;

interface Pending {
  bufs: Buffer[];
  size: number;
  result: WalAppend;
  resolve: (r: WalAppend) => void;
  reject: (e: Error) => void;
}

const DEFAULTS = {
  maxSegmentBytes: 64 * 1024 * 1024,
  fsync: 'always' as FsyncPolicy,
  fsyncIntervalMs: 1000,
  preallocateBytes: 0,
};

const ZEROS = Buffer.alloc(1024 * 1024);

/** Writes zeros from `from` up to `to` (file offsets) and syncs them, so later writes there overwrite. */
async function zeroFill(fh: FileHandle, from: number, to: number): Promise<void> {
  if (to <= from) return;
  for (let off = from; off < to; ) {
    const n = Math.min(ZEROS.length, to - off);
    const { bytesWritten } = await fh.write(ZEROS, 0, n, off);
    off += bytesWritten;
  }
  await fh.datasync();
}

/**
 * A segmented write-ahead log of opaque records (type byte + Buffer payload) with checksums, group
 * commit, segment rolling, replay from a position and crash recovery. See format.ts for the bytes.
 *
 * Appends made while a write is in flight are coalesced into the next single write and sync. The records
 * of one append always land in one segment, in order; a crash can still cut an append between records,
 * so a caller that needs atomicity writes one record per atomic unit.
 *
 * After a failed write the appends of that group and everything queued behind it are rejected and the
 * active segment is cut back to the last good position; bytes that reached an earlier segment before a
 * roll may survive, so the outcome of a rejected append is unknown, as with any failed commit.
 */
export class WriteAheadLog {
  readonly dir: string;
  /** Set when opening cut a torn tail off the last segment. */
  readonly recovery: WalRecovery | undefined;
  readonly stats: WalStats = { appends: 0, records: 0, groups: 0, syncs: 0, bytes: 0 };

  private readonly opts: typeof DEFAULTS;
  private readonly logger: Logger;
  private readonly segs: WalSegment[];
  private active: FileHandle;
  private activeOffset: number;
  /** Next position handed out, pending appends included. */
  private tail: number;
  /** Position up to which records are written (and synced under `always`). */
  private written: number;
  private pending: Pending[] = [];
  private scheduled = false;
  /** Serializes writes, syncs, rolls and close on the active segment. */
  private chain: Promise<void> = Promise.resolve();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private broken: SluiceError | undefined;
  private closed = false;
  private readonly unlock: () => void;

  private constructor(
    dir: string,
    segs: WalSegment[],
    active: FileHandle,
    recovery: WalRecovery | undefined,
    opts: typeof DEFAULTS,
    logger: Logger,
    unlock: () => void,
  ) {
    this.dir = dir;
    this.segs = segs;
    this.active = active;
    this.recovery = recovery;
    this.opts = opts;
    this.logger = logger;
    this.unlock = unlock;
    const last = segs[segs.length - 1]!;
    this.activeOffset = SEGMENT_HEADER_SIZE + (last.end - last.base);
    this.tail = this.written = last.end;
    if (opts.fsync === 'interval') {
      this.timer = setInterval(() => this.schedule(() => this.syncActive()), opts.fsyncIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Opens (or creates) the log in `dir`, validating every segment header and the contiguity of the
   * segments, and scanning the last segment: a torn or corrupt tail there is truncated (a crash cut
   * the last write short); a bad record followed by good ones, or damage in any other segment, is a
   * SLUICE_STORAGE error naming the file and offset.
   */
  static async open(dir: string, options: WalOptions = {}): Promise<WriteAheadLog> {
    const opts = {
      maxSegmentBytes: options.maxSegmentBytes ?? DEFAULTS.maxSegmentBytes,
      fsync: options.fsync ?? DEFAULTS.fsync,
      fsyncIntervalMs: options.fsyncIntervalMs ?? DEFAULTS.fsyncIntervalMs,
      preallocateBytes: options.preallocateBytes ?? DEFAULTS.preallocateBytes,
    };
    if (!(opts.maxSegmentBytes > 0))
      throw new SluiceError('SLUICE_CONFIG', 'maxSegmentBytes must be positive');
    const logger = options.logger ?? createLogger().child('wal');
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw ioError(e, `cannot create log directory ${dir}`, { file: dir });
    }
    const unlock = lockDir(dir);
    try {
      const { segs, active, recovery } = await recover(dir, logger, opts.preallocateBytes > 0);
      const last = segs[segs.length - 1]!;
      await zeroFill(active, SEGMENT_HEADER_SIZE + (last.end - last.base), opts.preallocateBytes);
      return new WriteAheadLog(dir, segs, active, recovery, opts, logger, unlock);
    } catch (e) {
      unlock();
      throw e instanceof SluiceError ? e : ioError(e, `cannot open log ${dir}`, { file: dir });
    }
  }

  /** Position of the oldest record still on disk. */
  get firstPosition(): number {
    return this.segs[0]!.base;
  }

  /** Position after the last written record: replay and read see everything before it. */
  get endPosition(): number {
    return this.written;
  }

  get segments(): readonly WalSegment[] {
    return this.segs.map((s) => ({ ...s }));
  }

  /**
   * Appends records of one type and resolves once they are written (and synced, under `always`).
   * Calls made while a write is in flight share the next write and sync.
   */
  append(payloads: readonly Buffer[], type = 1): Promise<WalAppend> {
    if (this.closed) return Promise.reject(new SluiceError('SLUICE_CLOSED', `log ${this.dir} is closed`));
    if (this.broken) return Promise.reject(this.broken);
    if (!Number.isInteger(type) || type < 1 || type > 255) {
      return Promise.reject(new SluiceError('SLUICE_INTERNAL', `record type must be 1..255, got ${type}`));
    }
    const n = payloads.length;
    const headers = Buffer.allocUnsafe(RECORD_HEADER_SIZE * n);
    const bufs: Buffer[] = new Array(n * 2);
    let size = 0;
    for (let i = 0; i < n; i++) {
      const p = payloads[i]!;
      if (p.length > MAX_RECORD_SIZE) {
        return Promise.reject(
          new SluiceError(
            'SLUICE_STORAGE',
            `record of ${p.length} bytes exceeds the limit of ${MAX_RECORD_SIZE}`,
            {
              place: { file: this.dir },
            },
          ),
        );
      }
      const h = headers.subarray(i * RECORD_HEADER_SIZE, (i + 1) * RECORD_HEADER_SIZE);
      writeRecordHeader(h, 0, type, p);
      bufs[2 * i] = h;
      bufs[2 * i + 1] = p;
      size += RECORD_HEADER_SIZE + p.length;
    }
    const result = { start: this.tail, end: this.tail + size };
    this.tail = result.end;
    return new Promise<WalAppend>((resolve, reject) => {
      this.pending.push({ bufs, size, result, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(() => this.flushPending());
      }
    });
  }

  /**
   * Calls `visit` for every record from `from` (a record position) up to the end written when replay
   * started, in order. A bad record anywhere is a SLUICE_STORAGE error naming the file and offset.
   * Returns the position replay stopped at.
   */
  async replay(from: number, visit: WalVisitor): Promise<number> {
    const limit = this.written;
    if (from < this.firstPosition || from > limit) {
      throw new SluiceError(
        'SLUICE_STORAGE',
        `cannot replay log ${this.dir} from position ${from}: it holds positions ${this.firstPosition}..${limit}`,
        { place: { file: this.dir } },
      );
    }
    const segs = this.segs.slice();
    for (let i = this.segmentIndex(from, segs); i < segs.length; i++) {
      const seg = segs[i]!;
      const lo = Math.max(from, seg.base);
      const hi = Math.min(seg.end, limit);
      if (hi <= lo) continue;
      let fh: FileHandle;
      try {
        fh = await open(seg.file, 'r');
      } catch (e) {
        throw ioError(e, `cannot read log segment ${seg.file}`, { file: seg.file });
      }
      try {
        const base = seg.base;
        const res = await scanRecords(
          fh,
          SEGMENT_HEADER_SIZE + (lo - base),
          SEGMENT_HEADER_SIZE + (hi - base),
          (type, payload, off) => visit(type, payload, base + off - SEGMENT_HEADER_SIZE),
        );
        if (res.error) throw corruptAt(seg.file, res.error.offset, res.error.reason);
      } finally {
        await fh.close();
      }
    }
    return limit;
  }

  /** Reads back the one record at `position` (a position an append or replay reported). */
  async read(position: number): Promise<{ type: number; payload: Buffer }> {
    if (position < this.firstPosition || position >= this.written) {
      throw new SluiceError(
        'SLUICE_STORAGE',
        `no record at position ${position} in log ${this.dir} (it holds ${this.firstPosition}..${this.written})`,
        { place: { file: this.dir } },
      );
    }
    const seg = this.segs[this.segmentIndex(position, this.segs)]!;
    const offset = SEGMENT_HEADER_SIZE + (position - seg.base);
    let fh: FileHandle;
    try {
      fh = await open(seg.file, 'r');
    } catch (e) {
      throw ioError(e, `cannot read log segment ${seg.file}`, { file: seg.file });
    }
    try {
      const h = Buffer.alloc(RECORD_HEADER_SIZE);
      await fh.read(h, 0, RECORD_HEADER_SIZE, offset);
      const length = h.readUInt32BE(0);
      const type = h[8]!;
      if (type === 0 || length > MAX_RECORD_SIZE || position + RECORD_HEADER_SIZE + length > seg.end) {
        throw corruptAt(seg.file, offset, 'no valid record header here');
      }
      const payload = Buffer.alloc(length);
      await fh.read(payload, 0, length, offset + RECORD_HEADER_SIZE);
      if (recordCrc(type, payload) !== h.readUInt32BE(4))
        throw corruptAt(seg.file, offset, 'record checksum mismatch');
      return { type, payload };
    } finally {
      await fh.close();
    }
  }

  /**
   * Deletes whole segments holding only positions before `position` (the caller's low-water mark:
   * everything before it is checkpointed or consumed). The active segment is never deleted.
   * Returns how many segment files were removed.
   */
  async releaseBefore(position: number): Promise<number> {
    let n = 0;
    while (this.segs.length > 1 && this.segs[1]!.base <= position) {
      const seg = this.segs.shift()!;
      try {
        await unlink(seg.file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, `cannot delete ${seg.file}`);
      }
      n++;
    }
    if (n > 0) syncDir(this.dir);
    return n;
  }

  /** Forces written records to disk now (any policy). */
  sync(): Promise<void> {
    return this.schedule(async () => {
      await this.active.datasync();
      this.stats.syncs++;
      this.dirty = false;
    });
  }

  /** Writes what is pending, syncs (unless `never`), closes the segment and releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.schedule(async () => {
      try {
        if (this.opts.preallocateBytes > 0) await this.active.truncate(this.activeOffset);
        if (this.opts.fsync !== 'never' && (this.dirty || this.opts.preallocateBytes > 0))
          await this.active.datasync();
      } finally {
        await this.active.close();
        this.unlock();
      }
    });
  }

  private schedule(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    // The chain itself never rejects, so one failure cannot stall later tasks.
    this.chain = run.catch(() => undefined);
    return run;
  }

  private segmentIndex(position: number, segs: readonly WalSegment[]): number {
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]!.base <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private async flushPending(): Promise<void> {
    this.scheduled = false;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    try {
      await this.writeGroup(group);
    } catch (e) {
      const err =
        e instanceof SluiceError
          ? e
          : ioError(e, `cannot write log segment ${this.segs[this.segs.length - 1]!.file}`);
      // Later appends were positioned behind this group: they fail with it.
      const rest = this.pending;
      this.pending = [];
      for (const p of group) p.reject(err);
      for (const p of rest) p.reject(err);
      await this.cutBack(err);
      return;
    }
    for (const p of group) p.resolve(p.result);
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    let bufs: Buffer[] = [];
    let bytes = 0;
    for (const p of group) {
      const used = this.activeOffset - SEGMENT_HEADER_SIZE + bytes;
      if (used > 0 && used + p.size > this.opts.maxSegmentBytes) {
        if (bytes > 0) await this.writeAll(bufs, bytes);
        bufs = [];
        bytes = 0;
        await this.roll(p.result.start);
      }
      for (const b of p.bufs) bufs.push(b);
      bytes += p.size;
      this.stats.appends++;
      this.stats.records += p.bufs.length / 2;
    }
    if (bytes > 0) await this.writeAll(bufs, bytes);
    this.stats.groups++;
    if (this.opts.fsync === 'always') {
      await this.active.datasync();
      this.stats.syncs++;
    } else {
      this.dirty = true;
    }
  }

  private async writeAll(bufs: Buffer[], bytes: number): Promise<void> {
    let left = bufs;
    let remaining = bytes;
    while (remaining > 0) {
      const { bytesWritten } = await this.active.writev(left, this.activeOffset);
      this.activeOffset += bytesWritten;
      remaining -= bytesWritten;
      if (remaining > 0) left = dropBytes(left, bytesWritten);
    }
    this.written += bytes;
    this.stats.bytes += bytes;
    this.segs[this.segs.length - 1]!.end = this.written;
  }

  /** Closes the full segment (synced, so only the last segment can ever hold a torn tail). */
  private async roll(base: number): Promise<void> {
    // Recovery sizes every segment but the last by its file: no zero tail may stay behind.
    if (this.opts.preallocateBytes > 0) await this.active.truncate(this.activeOffset);
    if (this.opts.fsync !== 'never') {
      await this.active.datasync();
      this.stats.syncs++;
    }
    await this.active.close();
    const file = join(this.dir, segmentName(base));
    const fh = await open(file, 'w+');
    await fh.write(encodeSegmentHeader(base), 0, SEGMENT_HEADER_SIZE, 0);
    await zeroFill(fh, SEGMENT_HEADER_SIZE, this.opts.preallocateBytes);
    await fh.datasync();
    syncDir(this.dir);
    this.active = fh;
    this.activeOffset = SEGMENT_HEADER_SIZE;
    this.segs.push({ file, base, end: base });
  }

  private async syncActive(): Promise<void> {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    await this.active.datasync();
    this.stats.syncs++;
  }

  private async cutBack(cause: SluiceError): Promise<void> {
    const last = this.segs[this.segs.length - 1]!;
    try {
      await this.active.truncate(SEGMENT_HEADER_SIZE + (this.written - last.base));
      this.activeOffset = SEGMENT_HEADER_SIZE + (this.written - last.base);
      this.tail = this.written;
      this.logger.warn(
        `write to ${last.file} failed (${cause.message}); cut back to position ${this.written}`,
      );
    } catch (e) {
      this.broken = new SluiceError('SLUICE_STORAGE', `log ${this.dir} is unusable after a failed write`, {
        cause: e,
        place: { file: last.file },
      });
      this.logger.error(this.broken.message);
    }
  }
}

async function recover(
  dir: string,
  logger: Logger,
  preallocated: boolean,
): Promise<{ segs: WalSegment[]; active: FileHandle; recovery: WalRecovery | undefined }> {
  const bases = (await readdir(dir))
    .map((name) => parseSegmentName(name))
    .filter((b): b is number => b !== undefined)
    .sort((a, b) => a - b);
  if (bases.length === 0) {
    const file = join(dir, segmentName(0));
    const fh = await open(file, 'w+');
    await fh.write(encodeSegmentHeader(0), 0, SEGMENT_HEADER_SIZE, 0);
    await fh.datasync();
    syncDir(dir);
    return { segs: [{ file, base: 0, end: 0 }], active: fh, recovery: undefined };
  }
  const segs: WalSegment[] = [];
  for (let i = 0; i < bases.length - 1; i++) {
    const base = bases[i]!;
    const file = join(dir, segmentName(base));
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      await checkHeader(fh, file, base);
      segs.push({ file, base, end: base + size - SEGMENT_HEADER_SIZE });
    } finally {
      await fh.close();
    }
  }
  const base = bases[bases.length - 1]!;
  const file = join(dir, segmentName(base));
  const fh = await open(file, 'r+');
  let recovery: WalRecovery | undefined;
  try {
    let size = (await fh.stat()).size;
    if (size <= SEGMENT_HEADER_SIZE && !(await headerOk(fh, base))) {
      // A crash while creating the segment: nothing in it was ever acknowledged.
      await fh.truncate(0);
      await fh.write(encodeSegmentHeader(base), 0, SEGMENT_HEADER_SIZE, 0);
      await fh.datasync();
      recovery = { file, offset: 0, droppedBytes: size, reason: 'torn segment header' };
      size = SEGMENT_HEADER_SIZE;
    } else {
      await checkHeader(fh, file, base);
    }
    const res = await scanRecords(fh, SEGMENT_HEADER_SIZE, size);
    if (res.error) {
      if (res.error.followedByValidRecord) {
        throw corruptAt(file, res.error.offset, `${res.error.reason}, with valid records after it`);
      }
      await fh.truncate(res.validEnd);
      await fh.datasync();
      if (preallocated && res.error.zeroTail) {
        // The unused, zero-filled end of a preallocated segment: nothing was lost.
        segs.push({ file, base, end: base + res.validEnd - SEGMENT_HEADER_SIZE });
        return { segs: checkContiguous(segs), active: fh, recovery: undefined };
      }
      recovery = { file, offset: res.validEnd, droppedBytes: size - res.validEnd, reason: res.error.reason };
      logger.warn(
        `${file}: dropped a torn tail of ${size - res.validEnd} bytes at offset ${res.validEnd} (${res.error.reason})`,
      );
    }
    segs.push({ file, base, end: base + res.validEnd - SEGMENT_HEADER_SIZE });
    return { segs: checkContiguous(segs), active: fh, recovery };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

function checkContiguous(segs: WalSegment[]): WalSegment[] {
  for (let i = 0; i + 1 < segs.length; i++) {
    const s = segs[i]!;
    const next = segs[i + 1]!;
    if (s.end !== next.base) {
      throw corruptAt(
        s.file,
        SEGMENT_HEADER_SIZE + (s.end - s.base),
        `segment ends at position ${s.end} but the next one starts at ${next.base} (torn or missing data in the middle of the log)`,
      );
    }
  }
  return segs;
}

async function headerOk(fh: FileHandle, base: number): Promise<boolean> {
  const b = Buffer.alloc(SEGMENT_HEADER_SIZE);
  const { bytesRead } = await fh.read(b, 0, SEGMENT_HEADER_SIZE, 0);
  const h = decodeSegmentHeader(b.subarray(0, bytesRead));
  return 'base' in h && h.base === base;
}

async function checkHeader(fh: FileHandle, file: string, base: number): Promise<void> {
  const b = Buffer.alloc(SEGMENT_HEADER_SIZE);
  const { bytesRead } = await fh.read(b, 0, SEGMENT_HEADER_SIZE, 0);
  const h = decodeSegmentHeader(b.subarray(0, bytesRead));
  if ('error' in h) throw corruptAt(file, 0, h.error);
  if (h.base !== base)
    throw corruptAt(file, 0, `header says base position ${h.base}, the file name says ${base}`);
}

function corruptAt(file: string, offset: number, reason: string): SluiceError {
  return new SluiceError('SLUICE_STORAGE', `corrupt log segment ${file} at offset ${offset}: ${reason}`, {
    place: { file },
  });
}

/** Makes a created or deleted file name durable (the directory entry is data too). */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function dropBytes(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
  const rest = bufs.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}
