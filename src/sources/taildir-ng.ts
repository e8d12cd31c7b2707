import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { NgSourceDef } from '../catalog/ng.js';
import type { ComponentProperties } from '../catalog/properties.js';
import { acked } from '../core/ack.js';
import { asSluiceError, ioError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { FileCursor } from './file-cursor.js';
import { ChunkReader } from './lines.js';
import { SinglePull } from './single-pull.js';
import { Waker } from './waker.js';

export interface FileGroup {
  name: string;
  dir: string;
  /** Matched against whole file names in `dir`. */
  regex: RegExp;
  headers: [string, Buffer][];
}

export interface TaildirOptions {
  groups: FileGroup[];
  positionFile: string;
  batchSize: number;
  skipToEnd: boolean;
  idleTimeoutMs: number;
  writePosIntervalMs: number;
  fileHeaderKey?: string;
  /** First sleep when nothing was read; it grows by this much per idle round up to maxBackOffSleep. */
  backoffSleepIncrementMs: number;
  maxBackOffSleepMs: number;
  component?: string;
}

/** One entry of Flume's position file. */
export interface Position {
  inode: number;
  pos: number;
  file: string;
}

interface Tailed {
  inode: number;
  /** Its path is the name it was last seen under. */
  cursor: FileCursor;
  group: FileGroup;
  /** Offset after the last line the agent committed: what the position file records. */
  committed: number;
  lastRead: number;
  /** Still present under a matching name at the last scan. */
  seen: boolean;
}

/** A batch handed downstream: how far it reaches in each file it holds lines of. */
interface InFlight {
  files: Tailed[];
  ends: number[];
  /** undefined while pending; null once ok; the failure otherwise. */
  outcome: Error | null | undefined;
}

/**
 * Flume NG's TAILDIR source: follows groups of files (a directory and a file name regex each), one
 * event per complete line, and records in a JSON position file how far each file (by inode) was
 * committed, so a restart resumes where it left off and a rotation (a rename) does not read a file
 * twice. A line is only emitted once its '\n' was written; a '\r' before it is dropped, as Flume's
 * TAILDIR does. Lines are split by the shared LineSplitter (through FileCursor), whose offsets after
 * each line are what the committed positions advance to.
 *
 * Acknowledgements (core/ack.ts): a file's committed position advances over the batches acked ok, in
 * the order they were handed out. A failed batch makes every file read again from its committed
 * position (the failed batch and whatever followed it) after a pause that grows by
 * backoffSleepIncrement up to maxBackoffSleep, as Flume's TAILDIR does after a channel error. Committed
 * positions are written at most every writePosInterval and when the source closes; delivery is at least
 * once, and what repeats after a crash is what was in flight.
 */
export class TaildirSource implements EventSource {
  private readonly files = new Map<number, Tailed>();
  private readonly reader = new ChunkReader();
  private readonly waker = new Waker();
  private readonly component: string;
  private ready: Event[] = [];
  private origins: Tailed[] = [];
  private ends: number[] = [];
  private head = 0;
  /** Batches handed out and not yet settled in order, oldest first. */
  private inFlight: InFlight[] = [];
  private retrySleep = 0;
  private saved: Map<number, Position> = new Map();
  private lastPosWrite = 0;
  private posDirty = false;
  private sleep = 0;
  private first = true;
  private opened = false;
  private readonly pull = new SinglePull();
  private closed = false;
  private rr = 0;

  constructor(
    private readonly opts: TaildirOptions,
    private readonly log: Logger,
  ) {
    this.component = opts.component ?? 'TAILDIR';
  }

  async open(): Promise<void> {
    try {
      await mkdir(dirname(this.opts.positionFile), { recursive: true });
    } catch (e) {
      throw ioError(e, `cannot create the directory of positionFile "${this.opts.positionFile}"`, {
        component: this.component,
        field: 'positionFile',
      });
    }
    this.saved = await this.readPositions();
    await this.scan();
    this.first = false;
    this.opened = true;
  }

  next(): Promise<Batch | null> {
    return this.pull.run(() =>
      this.advance().catch((e: unknown) => {
        if (this.closed) return null;
        throw ioError(e, 'cannot read', { component: this.component });
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waker.close();
    // What was acked since the last pull counts too.
    this.settle();
    // A source that never opened has no position to keep (and its positionFile may be the reason).
    if (this.opened)
      await this.writePositions().catch((e: unknown) => this.log.warn(asSluiceError(e).oneLine()));
    for (const f of this.files.values()) await f.cursor.close();
    this.files.clear();
  }

  /** The committed positions, as the position file holds them after the next write. */
  positions(): Position[] {
    return [...this.files.values()].map((f) => ({ inode: f.inode, pos: f.committed, file: f.cursor.path }));
  }

  private async advance(): Promise<Batch | null> {
    for (;;) {
      if (this.settle()) {
        this.retrySleep = Math.min(
          this.retrySleep + this.opts.backoffSleepIncrementMs,
          this.opts.maxBackOffSleepMs,
        );
        await this.waker.wait(this.retrySleep);
      }
      if (this.closed) return null;
      if (this.posDirty && Date.now() - this.lastPosWrite >= this.opts.writePosIntervalMs)
        await this.writePositions();
      if (this.ready.length - this.head === 0) {
        await this.scan();
        await this.readAll();
      }
      if (this.closed) return null;
      const n = Math.min(this.opts.batchSize, this.ready.length - this.head);
      if (n > 0) {
        this.sleep = 0;
        const batch = this.ready.slice(this.head, this.head + n);
        const h = this.handOut(this.head, this.head + n);
        this.head += n;
        if (this.head === this.ready.length) {
          this.ready = [];
          this.origins = [];
          this.ends = [];
          this.head = 0;
        }
        return acked(batch, (error) => {
          h.outcome = error ?? null;
        });
      }
      await this.closeIdle();
      this.sleep = Math.min(this.sleep + this.opts.backoffSleepIncrementMs, this.opts.maxBackOffSleepMs);
      await this.waker.wait(this.sleep);
    }
  }

  /** Records how far the events ready[from..to) reach in each file (lines of one file are contiguous). */
  private handOut(from: number, to: number): InFlight {
    const h: InFlight = { files: [], ends: [], outcome: undefined };
    let last: Tailed | undefined;
    for (let i = from; i < to; i++) {
      const f = this.origins[i]!;
      if (f !== last) {
        h.files.push(f);
        h.ends.push(this.ends[i]!);
        last = f;
      } else h.ends[h.ends.length - 1] = this.ends[i]!;
    }
    this.inFlight.push(h);
    return h;
  }

  /**
   * Advances committed positions over the batches acked ok, in order. At the first failed one, every
   * file is read again from its committed position; true then (the caller pauses).
   */
  private settle(): boolean {
    while (this.inFlight.length > 0 && this.inFlight[0]!.outcome !== undefined) {
      const h = this.inFlight.shift()!;
      if (h.outcome !== null) {
        this.rewind(h.outcome!);
        return true;
      }
      for (let i = 0; i < h.files.length; i++) {
        const f = h.files[i]!;
        if (h.ends[i]! > f.committed) f.committed = h.ends[i]!;
      }
      this.posDirty = true;
      this.retrySleep = 0;
    }
    return false;
  }

  /** Drops what was read past the committed positions; it is read again (with the failed batch). */
  private rewind(error: Error): void {
    this.inFlight = [];
    this.ready = [];
    this.origins = [];
    this.ends = [];
    this.head = 0;
    for (const f of this.files.values()) f.cursor.seek(f.committed);
    this.log.debug(`a batch failed (${error.message}); reading again from the committed positions`);
  }

  /** Lists every group: follows new files, notices renames (same inode, new name) and truncation. */
  private async scan(): Promise<void> {
    for (const f of this.files.values()) f.seen = false;
    for (const g of this.opts.groups) {
      let names: string[];
      try {
        names = await readdir(g.dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw ioError(e, `cannot list "${g.dir}"`, {
          component: this.component,
          field: `filegroups.${g.name}`,
        });
      }
      for (const name of names) {
        if (!g.regex.test(name)) continue;
        const path = join(g.dir, name);
        const st = await stat(path).catch(() => undefined);
        if (st === undefined || !st.isFile()) continue;
        const known = this.files.get(st.ino);
        if (known !== undefined) {
          known.seen = true;
          if (known.cursor.path !== path) {
            this.log.info(`${known.cursor.path} is now ${path} (same inode); following it`);
            known.cursor.path = path;
            known.cursor.lines.setAttrs(this.headers(g, path));
            this.posDirty = true;
          }
          if (st.size < known.cursor.pos) {
            this.log.info(`${path} was truncated; reading it again from the start`);
            known.cursor.seek(0);
            known.committed = 0;
          }
          continue;
        }
        // Modified since idle-closed, or new: open (again) from the saved position.
        await this.follow(path, st.ino, st.size, st.mtimeMs, g);
      }
    }
  }

  private async follow(
    path: string,
    inode: number,
    size: number,
    mtimeMs: number,
    g: FileGroup,
  ): Promise<void> {
    const saved = this.saved.get(inode);
    let pos: number;
    if (saved !== undefined && saved.pos <= size) {
      pos = saved.pos;
      // An idle-closed file that did not grow stays closed until it does.
      if (!this.first && pos === size && Date.now() - mtimeMs > this.opts.idleTimeoutMs) return;
    } else pos = this.first && this.opts.skipToEnd ? size : 0;
    const cursor = await FileCursor.open(
      path,
      pos,
      { stripCr: true, attrs: this.headers(g, path) },
      { component: this.component, field: `filegroups.${g.name}` },
      this.reader,
    );
    if (cursor === undefined) return;
    // A scan running meanwhile (a caller that gave up on one next() and called again) may already
    // follow this file: keep its position rather than start over.
    if (cursor.opened.ino !== inode || this.files.has(inode)) {
      await cursor.close();
      return;
    }
    this.saved.delete(inode);
    this.files.set(inode, { inode, cursor, group: g, committed: pos, lastRead: Date.now(), seen: true });
    this.posDirty = true;
    this.log.info(`following ${path} from byte ${pos}`);
  }

  /** Reads each followed file in turn (round robin) until a batch is ready or nothing more is there. */
  private async readAll(): Promise<void> {
    const all = [...this.files.values()];
    const n = all.length;
    for (let k = 0; k < n && this.ready.length - this.head < this.opts.batchSize && !this.closed; k++) {
      const f = all[(this.rr + k) % n]!;
      while (this.ready.length - this.head < this.opts.batchSize && (await this.readChunk(f)));
    }
    if (n > 0) this.rr = (this.rr + 1) % n;
  }

  /** Reads one chunk of `f` into `ready`; false at its end. */
  private async readChunk(f: Tailed): Promise<boolean> {
    const first = this.ready.length;
    if ((await f.cursor.read(this.ready, this.ends)) === 0) return false;
    f.lastRead = Date.now();
    for (let i = first; i < this.ready.length; i++) this.origins.push(f);
    return true;
  }

  /** The headers of a file's events: its group's, and its path under fileHeaderKey. */
  private headers(g: FileGroup, path: string): [string, Buffer][] {
    const key = this.opts.fileHeaderKey;
    if (key === undefined) return g.headers;
    return [...g.headers.filter(([k]) => k !== key), [key, Buffer.from(path)]];
  }

  /**
   * Closes files nothing was read from for idleTimeout (their committed position stays in the position
   * file, and they are opened again when they grow), and files that left their group and were read out.
   */
  private async closeIdle(): Promise<void> {
    const now = Date.now();
    for (const [inode, f] of this.files) {
      // Called with nothing queued; bytes read but not yet acked (in flight) keep a file open.
      if (f.committed !== f.cursor.lines.lineStart) continue;
      if (!f.seen || now - f.lastRead >= this.opts.idleTimeoutMs) {
        this.files.delete(inode);
        await f.cursor.close();
        if (f.seen) this.saved.set(inode, { inode, pos: f.committed, file: f.cursor.path });
        this.posDirty = true;
        this.log.info(`closed ${f.cursor.path} (${f.seen ? 'idle' : 'gone'})`);
      }
    }
  }

  private async readPositions(): Promise<Map<number, Position>> {
    const out = new Map<number, Position>();
    let text: string;
    try {
      text = await readFile(this.opts.positionFile, 'utf8');
    } catch {
      return out;
    }
    try {
      const list = JSON.parse(text) as unknown;
      if (!Array.isArray(list)) throw new Error('not a list');
      for (const p of list as Partial<Position>[]) {
        if (typeof p.inode === 'number' && typeof p.pos === 'number' && typeof p.file === 'string')
          out.set(p.inode, { inode: p.inode, pos: p.pos, file: p.file });
      }
    } catch (e) {
      this.log.warn(`ignoring unreadable position file ${this.opts.positionFile}: ${(e as Error).message}`);
    }
    return out;
  }

  private async writePositions(): Promise<void> {
    const list = [...this.positions(), ...this.saved.values()];
    const path = this.opts.positionFile;
    try {
      await writeFile(`${path}.tmp`, JSON.stringify(list));
      await rename(`${path}.tmp`, path);
    } catch (e) {
      throw ioError(e, `cannot write position file "${path}"`, {
        component: this.component,
        field: 'positionFile',
      });
    }
    this.lastPosWrite = Date.now();
    this.posDirty = false;
  }
}

/** `filegroups.<g>` is a path whose last part is a regex over file names (Flume's form). */
export function parseFileGroup(p: ComponentProperties, name: string): FileGroup {
  const key = `filegroups.${name}`;
  const path = p.optString(key);
  if (path === undefined || path === '')
    throw p.error(key, `file group "${name}" is listed in filegroups but ${key} is not set`);
  const abs = resolve(path);
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${basename(abs)})$`);
  } catch (e) {
    throw p.error(
      key,
      `${key}: "${basename(abs)}" is not a valid regular expression: ${(e as Error).message}`,
    );
  }
  const headers: [string, Buffer][] = [];
  for (const [k, v] of p.withPrefix(`headers.${name}.`)) headers.push([k, Buffer.from(v)]);
  return { name, dir: dirname(abs), regex, headers };
}

export const taildirSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'TAILDIR',
  aliases: ['taildir'],
  specUnavailable:
    'Its file groups are keyed properties (filegroups.<g> = pattern), which keyword arguments cannot spell. ' +
    'From a spec use tailDir or tail; they stay separate components because TAILDIR keeps positions by ' +
    'inode in positionFile and resumes from them.',
  docs:
    'Flume NG TAILDIR source: follows groups of files (filegroups.<g> = /dir/<file name regex>), one event per ' +
    'complete line (a \\r before the \\n is dropped, as in Flume), with optional static headers per group. Files are known by inode, so a rotation by rename ' +
    'is not read twice; positions ({inode, pos, file} as JSON) are kept in positionFile and a restart resumes ' +
    'from them. Delivery is at least once.',
  properties: [
    { name: 'filegroups', type: 'list', required: true, docs: 'Space-separated names of the file groups.' },
    {
      name: 'filegroups.*',
      type: 'string',
      docs: 'filegroups.<g>: a directory and a regex of file names in it, e.g. /var/log/app/.*\\.log.',
    },
    {
      name: 'headers.*',
      type: 'string',
      docs: 'headers.<g>.<key> = value: a header put on every event of group <g>.',
    },
    {
      name: 'positionFile',
      type: 'string',
      default: '~/.flume/taildir_position.json',
      docs: 'The JSON file of committed positions.',
    },
    {
      name: 'batchSize',
      type: 'int',
      default: '100',
      min: 1,
      docs: 'Most events per batch put into the channels.',
    },
    {
      name: 'skipToEnd',
      type: 'bool',
      default: 'false',
      docs: 'At start, files without a recorded position are read from their end.',
    },
    {
      name: 'idleTimeout',
      type: 'int',
      default: '120000',
      min: 0,
      docs: 'Milliseconds without new data after which a file is closed (reopened when it grows).',
    },
    {
      name: 'writePosInterval',
      type: 'int',
      default: '3000',
      min: 0,
      docs: 'Least milliseconds between writes of the position file.',
    },
    {
      name: 'fileHeader',
      type: 'bool',
      default: 'false',
      docs: 'Add a header with the absolute path of the file.',
    },
    { name: 'fileHeaderKey', type: 'string', default: 'file', docs: 'Name of that header.' },
    {
      name: 'backoffSleepIncrement',
      type: 'int',
      default: '1000',
      min: 1,
      docs: 'Sleep added per round that found no new data.',
    },
    {
      name: 'maxBackOffSleep',
      type: 'int',
      default: '5000',
      min: 1,
      docs: 'Longest sleep between rounds that found no new data.',
    },
    {
      name: 'cachePatternMatching',
      type: 'bool',
      default: 'true',
      docs: 'Accepted for compatibility: directories are listed each round.',
    },
  ],
  create(p, ctx) {
    const names = p.list('filegroups');
    if (names.length === 0) throw p.error('filegroups', 'filegroups names no file group');
    const pos = p.string('positionFile');
    return new TaildirSource(
      {
        groups: names.map((n) => parseFileGroup(p, n)),
        positionFile: pos.startsWith('~/') ? join(homedir(), pos.slice(2)) : resolve(pos),
        batchSize: p.int('batchSize'),
        skipToEnd: p.bool('skipToEnd'),
        idleTimeoutMs: p.int('idleTimeout'),
        writePosIntervalMs: p.int('writePosInterval'),
        ...(p.bool('fileHeader') ? { fileHeaderKey: p.string('fileHeaderKey') } : {}),
        backoffSleepIncrementMs: p.int('backoffSleepIncrement'),
        maxBackOffSleepMs: p.int('maxBackOffSleep'),
        component: p.component,
      },
      ctx.logger.child(p.component),
    );
  },
};
