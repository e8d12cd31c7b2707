import { mkdir, statfs } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { sumBodyBytes } from '../core/batch-bytes.js';
import { asSluiceError, ioError, SluiceError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { WriteAheadLog } from '../storage/wal/wal.js';
import { type Checkpoint, readCheckpoint, writeCheckpoint } from './file-checkpoint.js';
import { decodeTxn, encodeTxn, type TakeRange, TXN_RECORD, takeRanges } from './file-record.js';
import { ChannelProperties, capacities } from './props.js';
import type { Run } from './queue.js';
import { QueuedChannel, type QueuedTransaction } from './queued.js';
import type { ChannelContext, ChannelDef, ChannelProps } from './types.js';
import { Waiters } from './waiters.js';

export interface FileChannelOptions {
  checkpointDir: string;
  dataDir: string;
  capacity: number;
  transactionCapacity: number;
  checkpointIntervalMs: number;
  /** Largest log segment before a new one is started. */
  maxFileSize: number;
  /** Puts fail while the data directory's file system has less free space than this. */
  minimumRequiredSpace: number;
  keepAliveMs: number;
  /** Sync the log on every commit (a group commit shares one sync); otherwise every fsyncInterval. */
  fsyncPerTransaction: boolean;
  fsyncIntervalMs: number;
  checkpointOnClose: boolean;
  logger: Logger;
}

const SPACE_CHECK_MS = 5000;

/**
 * A durable channel: every commit is one record in a write-ahead log (the events it put, the event
 * ranges it took), written before the commit returns. The queue itself lives in memory and is rebuilt
 * on start from the last checkpoint plus the log after it (or the whole log when the checkpoint is
 * missing or unusable), so committed events survive a killed process and uncommitted ones come back
 * as if rolled back. Log segments are deleted once a checkpoint shows nothing in them is still queued.
 *
 * Order after a restart is the order of the put records; events a rollback returned to the head take
 * their original place again.
 */
export class FileChannel extends QueuedChannel {
  readonly type = 'file';
  private wal: WriteAheadLog | undefined;
  private readonly opts: FileChannelOptions;
  /** Transactions holding taken events, which a checkpoint must still count as queued. */
  private readonly takers = new Set<QueuedTransaction>();
  private writing = 0;
  private readonly drained = new Waiters();
  /** Set while a checkpoint waits for writes to finish: commits wait before writing. */
  private gate: Promise<void> | undefined;
  private checkpointing: Promise<void> | undefined;
  private lowSpace: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  /** How the last start rebuilt the queue (for tests and status pages). */
  lastRecovery: { fromCheckpoint: boolean; replayedFrom: number; events: number; note?: string } | undefined;

  constructor(name: string, opts: FileChannelOptions) {
    super(name, opts.capacity, opts.transactionCapacity, opts.keepAliveMs);
    this.opts = opts;
  }

  /** The log, for tests and tools (undefined while stopped). */
  get log(): WriteAheadLog | undefined {
    return this.wal;
  }

  async start(): Promise<void> {
    if (this.lifecycle === 'running') return;
    const { checkpointDir, dataDir } = this.opts;
    for (const dir of [checkpointDir, dataDir]) {
      try {
        await mkdir(dir, { recursive: true });
      } catch (e) {
        throw ioError(e, `channel ${this.name}: cannot create ${dir}`, { component: `channel ${this.name}` });
      }
    }
    const wal = await WriteAheadLog.open(dataDir, {
      maxSegmentBytes: this.opts.maxFileSize,
      fsync: this.opts.fsyncPerTransaction ? 'always' : 'interval',
      fsyncIntervalMs: this.opts.fsyncIntervalMs,
      logger: this.opts.logger,
    });
    try {
      await this.rebuild(wal);
      await this.checkSpace();
    } catch (e) {
      await wal.close();
      this.queue.clear();
      this.bytesUsed = 0;
      throw e;
    }
    this.wal = wal;
    this.inflight = 0;
    this.reserved = 0;
    this.lifecycle = 'running';
    const every = (ms: number, f: () => Promise<void>) => {
      const t = setInterval(() => {
        f().catch((e) => this.opts.logger.error(`channel ${this.name}: ${asSluiceError(e).message}`));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.checkpointIntervalMs, () => this.checkpoint());
    every(SPACE_CHECK_MS, () => this.checkSpace());
  }

  async stop(): Promise<void> {
    if (this.lifecycle !== 'running') {
      this.lifecycle = 'stopped';
      return;
    }
    this.lifecycle = 'stopped';
    this.wakeAll();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.whenDrained();
    try {
      if (this.checkpointing) await this.checkpointing;
      if (this.opts.checkpointOnClose) await this.checkpoint();
    } finally {
      await this.wal!.close();
      this.wal = undefined;
      this.queue.clear();
      this.bytesUsed = 0;
      this.takers.clear();
    }
  }

  commitTx(tx: QueuedTransaction): void | Promise<void> {
    this.ensureRunning('commit');
    if (tx.puts === 0 && tx.taken === 0) {
      tx.reset();
      return;
    }
    if (tx.puts > 0 && this.lowSpace) {
      throw new SluiceError('SLUICE_STORAGE', `channel ${this.name}: ${this.lowSpace}`, {
        place: { component: `channel ${this.name}`, file: this.opts.dataDir },
        retriable: true,
      });
    }
    return this.commitLogged(tx);
  }

  override rollbackTx(tx: QueuedTransaction): void {
    this.takers.delete(tx);
    super.rollbackTx(tx);
  }

  protected override onTaken(tx: QueuedTransaction): void {
    this.takers.add(tx);
  }

  /**
   * Writes a checkpoint now (also run every checkpointInterval): waits for commits being written,
   * snapshots the queue, stores it and deletes log segments nothing queued refers to.
   */
  checkpoint(): Promise<void> {
    if (!this.wal) return Promise.resolve();
    this.checkpointing ??= this.writeCheckpointNow().finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  private async commitLogged(tx: QueuedTransaction): Promise<void> {
    const n = tx.puts;
    const t = tx.taken;
    const puts: Event[] = n > 0 ? tx.putEvents() : [];
    const payload = encodeTxn(takeRanges(tx.pieces), puts);
    const fits = () => this.used - t + n <= this.capacity;
    for (;;) {
      while (this.gate) await this.gate;
      this.ensureRunning('commit');
      if (n === 0 || fits()) break;
      await this.waitForRoom(fits, `${n} events`, n > this.capacity);
    }
    this.reserved += n;
    this.writing++;
    let start: number;
    try {
      start = (await this.wal!.append([payload], TXN_RECORD)).start;
    } catch (e) {
      throw asSluiceError(e, 'SLUICE_STORAGE', { component: `channel ${this.name}` });
    } finally {
      this.reserved -= n;
      if (--this.writing === 0) this.drained.wake();
    }
    if (n > 0) {
      this.queue.push(puts, start);
      this.dataWaiters.wake();
    }
    if (t > 0) {
      this.inflight -= t;
      this.takers.delete(tx);
      this.roomWaiters.wake();
    }
    this.committedBytes(tx);
    tx.reset();
  }

  private async whenDrained(): Promise<void> {
    while (this.writing > 0) await this.drained.wait(60_000);
  }

  private async writeCheckpointNow(): Promise<void> {
    const wal = this.wal!;
    let open!: () => void;
    this.gate = new Promise((r) => {
      open = r;
    });
    let cp: Checkpoint;
    try {
      await this.whenDrained();
      cp = { position: wal.endPosition, runs: this.snapshot() };
    } finally {
      this.gate = undefined;
      open();
    }
    try {
      await writeCheckpoint(this.opts.checkpointDir, cp);
    } catch (e) {
      throw ioError(e, `channel ${this.name}: cannot write checkpoint in ${this.opts.checkpointDir}`, {
        file: this.opts.checkpointDir,
      });
    }
    let low = cp.position;
    for (const r of cp.runs) if (r.pos < low) low = r.pos;
    const removed = await wal.releaseBefore(low);
    if (removed > 0)
      this.opts.logger.debug(`channel ${this.name}: deleted ${removed} log segments below ${low}`);
  }

  /** The queue as a checkpoint sees it: events held by open transactions first, then the queue. */
  private snapshot(): TakeRange[] {
    const held: Run[] = [];
    for (const tx of this.takers) for (const p of tx.pieces) held.push(p);
    held.sort((a, b) => a.pos - b.pos || a.first + a.head - (b.first + b.head));
    const runs = takeRanges(held);
    for (const r of this.queue.entries())
      runs.push({ pos: r.pos, first: r.first + r.head, count: r.end - r.head });
    return runs;
  }

  private async rebuild(wal: WriteAheadLog): Promise<void> {
    const log = this.opts.logger;
    let from = wal.firstPosition;
    let rebuilt = new Rebuild();
    let note: string | undefined;
    let usedCheckpoint = false;
    const cp = await readCheckpoint(this.opts.checkpointDir);
    if (cp && 'error' in cp) {
      note = `checkpoint unusable (${cp.error}): replaying the whole log`;
    } else if (cp && (cp.position < wal.firstPosition || cp.position > wal.endPosition)) {
      note = `checkpoint position ${cp.position} is outside the log (${wal.firstPosition}..${wal.endPosition}): replaying the whole log`;
    } else if (cp) {
      try {
        await loadRuns(wal, cp.runs, rebuilt);
        from = cp.position;
        usedCheckpoint = true;
      } catch (e) {
        note = `checkpoint refers to unreadable records (${asSluiceError(e).message}): replaying the whole log`;
        rebuilt = new Rebuild();
      }
    }
    if (note) log.warn(`channel ${this.name}: ${note}`);
    await wal.replay(from, (_type, payload, position) => {
      const txn = decodeTxn(payload, position);
      for (const t of txn.takes) rebuilt.remove(t);
      if (txn.events.length > 0) rebuilt.add(txn.events, position, 0, txn.events.length);
    });
    this.queue.clear();
    let events = 0;
    let bytes = 0;
    for (const r of rebuilt.runs) {
      if (r.end > r.head) {
        this.queue.push(r.events, r.pos, r.first, r.head, r.end);
        events += r.end - r.head;
        bytes += sumBodyBytes(r.events, r.head, r.end);
      }
    }
    this.bytesUsed = bytes;
    this.lastRecovery = { fromCheckpoint: usedCheckpoint, replayedFrom: from, events };
    if (note) this.lastRecovery.note = note;
    if (events > this.capacity) {
      log.warn(`channel ${this.name}: recovered ${events} events, more than its capacity ${this.capacity}`);
    }
  }

  private async checkSpace(): Promise<void> {
    const need = this.opts.minimumRequiredSpace;
    if (need <= 0) return;
    try {
      const s = await statfs(this.opts.dataDir);
      const free = s.bavail * s.bsize;
      const was = this.lowSpace;
      this.lowSpace =
        free < need
          ? `only ${free} bytes free on ${this.opts.dataDir}, below minimumRequiredSpace ${need}: refusing puts`
          : undefined;
      if (this.lowSpace && !was) this.opts.logger.error(`channel ${this.name}: ${this.lowSpace}`);
    } catch {
      // statfs is advisory: a file system that cannot report free space does not stop the channel.
    }
  }
}

/** The queue being rebuilt: runs in log order, indexed by record position for take removal. */
class Rebuild {
  readonly runs: Run[] = [];
  private readonly byPos = new Map<number, Run[]>();

  add(events: Event[], pos: number, head: number, end: number): void {
    const run: Run = { events, head, end, pos, first: 0 };
    this.runs.push(run);
    const list = this.byPos.get(pos);
    if (list) list.push(run);
    else this.byPos.set(pos, [run]);
  }

  /** Removes ids [first, first + count) of record `pos`; ids already gone (older segments) are ignored. */
  remove(t: TakeRange): void {
    const list = this.byPos.get(t.pos);
    if (!list) return;
    const a = t.first;
    const b = t.first + t.count;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      const lo = Math.max(a, r.first + r.head);
      const hi = Math.min(b, r.first + r.end);
      if (lo >= hi) continue;
      if (lo === r.first + r.head) r.head = hi - r.first;
      else if (hi === r.first + r.end) r.end = lo - r.first;
      else {
        // A take from the middle of a run (transactions committed out of order): split it.
        const rest: Run = { events: r.events, head: hi - r.first, end: r.end, pos: r.pos, first: r.first };
        r.end = lo - r.first;
        this.runs.splice(this.runs.indexOf(r) + 1, 0, rest);
        list.push(rest);
      }
    }
  }
}

async function loadRuns(wal: WriteAheadLog, runs: readonly TakeRange[], into: Rebuild): Promise<void> {
  const records = new Map<number, Event[]>();
  for (const r of runs) {
    let events = records.get(r.pos);
    if (!events) {
      const { payload } = await wal.read(r.pos);
      events = decodeTxn(payload, r.pos).events;
      records.set(r.pos, events);
    }
    if (r.first + r.count > events.length) {
      throw new SluiceError(
        'SLUICE_STORAGE',
        `record at ${r.pos} holds ${events.length} events, not ${r.first + r.count}`,
      );
    }
    into.add(events, r.pos, r.first, r.first + r.count);
  }
}

function defaultDir(ctx: ChannelContext, leaf: string): string {
  return join(homedir(), '.sluice', 'file-channel', ctx.agentName ?? 'agent', ctx.name, leaf);
}

export const fileChannel: ChannelDef = {
  kind: 'channel',
  type: 'file',
  docs:
    'A durable channel: each commit is written to a checksummed write-ahead log before it returns, and ' +
    'the queue is rebuilt from a checkpoint plus the log on start, so committed events survive a crash.',
  properties: [
    {
      name: 'checkpointDir',
      type: 'string',
      docs: 'Where the checkpoint is kept (default ~/.sluice/file-channel/<agent>/<channel>/checkpoint).',
    },
    {
      name: 'dataDirs',
      type: 'list',
      docs:
        'Where the log segments are written (default ~/.sluice/file-channel/<agent>/<channel>/data). ' +
        'Sluice writes one log: only the first directory is used.',
    },
    { name: 'capacity', type: 'int', default: '1000000', min: 1, docs: 'Most events the channel holds.' },
    {
      name: 'transactionCapacity',
      type: 'int',
      default: '10000',
      min: 1,
      docs: 'Most events one transaction may put, and most it may take.',
    },
    {
      name: 'checkpointInterval',
      type: 'int',
      default: '30000',
      min: 1,
      docs: 'Milliseconds between checkpoints (which also delete log segments no longer needed).',
    },
    {
      name: 'maxFileSize',
      type: 'int',
      default: '2146435071',
      min: 1,
      docs: 'Largest log segment in bytes before the next one is started.',
    },
    {
      name: 'minimumRequiredSpace',
      type: 'int',
      default: '524288000',
      min: 0,
      docs: 'Puts fail (retriable SLUICE_STORAGE) while the data directory has less free space (0: no check).',
    },
    {
      name: 'keep-alive',
      type: 'float',
      default: '3',
      min: 0,
      docs: 'Seconds a take waits for an event and a commit waits for room.',
    },
    {
      name: 'fsyncPerTransaction',
      type: 'bool',
      default: 'true',
      docs: 'Sync the log before each commit returns (commits in flight together share one sync).',
    },
    {
      name: 'fsyncInterval',
      type: 'float',
      default: '5',
      min: 0.001,
      docs: 'Seconds between log syncs when fsyncPerTransaction is false.',
    },
    {
      name: 'checkpointOnClose',
      type: 'bool',
      default: 'true',
      docs: 'Write a checkpoint when the channel stops.',
    },
  ],
  create(props: ChannelProps, ctx: ChannelContext): FileChannel {
    const p = new ChannelProperties('file', fileChannel.properties, props, ctx);
    const { capacity, transactionCapacity } = capacities(p);
    const dataDirs = p.list('dataDirs');
    if (dataDirs.length > 1) {
      ctx.logger.warn(
        `channel ${ctx.name}: Sluice writes one log; using ${dataDirs[0]} and ignoring ${dataDirs.slice(1).join(', ')}`,
      );
    }
    return new FileChannel(ctx.name, {
      checkpointDir: p.has('checkpointDir') ? p.string('checkpointDir') : defaultDir(ctx, 'checkpoint'),
      dataDir: dataDirs[0] ?? defaultDir(ctx, 'data'),
      capacity,
      transactionCapacity,
      checkpointIntervalMs: p.int('checkpointInterval'),
      maxFileSize: p.int('maxFileSize'),
      minimumRequiredSpace: p.int('minimumRequiredSpace'),
      keepAliveMs: Math.round(p.float('keep-alive') * 1000),
      fsyncPerTransaction: p.bool('fsyncPerTransaction'),
      fsyncIntervalMs: Math.round(p.float('fsyncInterval') * 1000),
      checkpointOnClose: p.bool('checkpointOnClose'),
      logger: ctx.logger,
    });
  },
};
