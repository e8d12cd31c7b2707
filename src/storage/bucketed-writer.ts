import { posix } from 'node:path';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { GzipFile } from './fs/gzip.js';
import { FileSystems, type FileSystemsOptions } from './fs/resolve.js';
import { FileExistsError, type FileSystem, type WritableFile } from './fs/types.js';
import { PathPattern } from './path-pattern.js';

/**
 * Writes events to files whose directory and name come from escape patterns (Flume's output
 * bucketing: `/logs/%Y-%m-%d/%H00` and `%{host}-`).
 *
 * - A batch is grouped by bucket once; each bucket then gets one encoded write per batch.
 * - A file is written under a hidden temporary name (`.name.tmp`, skipped by Hadoop input formats)
 *   and renamed to its final name only once complete (footer written, closed, fsynced), so no reader
 *   ever sees half a file. Renames never replace an existing file.
 * - Open buckets are bounded (`maxOpenFiles`): the least recently used one is closed, and a new file
 *   is opened only once a slot is free. Buckets idle for `idleTimeoutMs` are closed too. A bucket
 *   used again later gets a new file.
 * - `rollMillis` closes every bucket periodically (Flume's roll): appends arriving meanwhile wait, so
 *   a roll is atomic with respect to appends.
 * - Naming `unique` (collectorSink) appends a tag unique to each file (`prefix` + `20260101-120000123.
 *   4242.17` + format extension); `exact` (dfs, customdfs, escapedCustomDfs) uses the escaped name as
 *   it is and adds the tag only when that name is already taken. Gzip adds `.gz` in both.
 * - Paths are confined (storage/path-pattern.ts): event values cannot leave the directory written
 *   before the first escape, and a batch with a path that would is refused before anything is written.
 * - A fault of one batch (an event the format cannot encode, a name the file system refuses) fails
 *   that append only; the next batch gets new files. A closed writer can be opened again (a sink
 *   group reopens a sink after a failure).
 */
export interface BucketedWriterOptions {
  /** Directory URI or path, with escapes (`hdfs://nn/flume/%Y-%m-%d`, `file:///tmp/x`, `/tmp/x`). */
  dir: string;
  /** File name (or `sub/dir/name`) pattern, with escapes. */
  file: string;
  naming?: 'unique' | 'exact';
  /** A fresh format instance for each file (container formats keep per-file state). */
  format: () => FileFormat;
  /** Added to unique names (`.avro`, `.seq`); unused for exact names. */
  extension?: string;
  gzip?: boolean;
  /** Files open at once (default 1000). */
  maxOpenFiles?: number;
  /** Close a bucket unused for this many milliseconds (default 0: never). */
  idleTimeoutMs?: number;
  /** Close all buckets every this many milliseconds (default 0: never). */
  rollMillis?: number;
  /** Close a bucket's file once it holds this many events (default 0: no limit; Flume NG's rollCount). */
  rollEvents?: number;
  /** Close a bucket's file once this many bytes were written to it (default 0: no limit; rollSize). */
  rollBytes?: number;
  /** IANA zone of date escapes (default UTC). */
  timeZone?: string;
  /** File system settings (sync, WebHDFS user and piece size). */
  fs?: FileSystemsOptions;
  logger?: Logger;
  /** Name used in error places and logs (`collectorSink`). */
  component?: string;
  /** Called after each file got its final name. */
  onFileClosed?: (file: ClosedFile) => void;
  now?: () => number;
}

export interface ClosedFile {
  /** The final URI or path. */
  uri: string;
  events: number;
  /** Bytes before compression. */
  bytes: number;
}

/**
 * What the writer needs of an output format (formats/types.ts OutputFormat has this shape; storage sits
 * beside formats in the layering, so it names the shape instead of importing it).
 */
export interface FileFormat {
  header(): Buffer;
  encode(batch: Batch): Buffer;
  footer(): Buffer;
}

interface Bucket {
  key: string;
  format: FileFormat;
  lastUsed: number;
  events: number;
  bytes: number;
  /** Encoded batches waiting for the file to open. */
  pending: Buffer[];
  opening: Promise<void>;
  /** Directory URI and escaped file name, from the key. */
  parentUri: string;
  base: string;
  fs?: FileSystem;
  out?: WritableFile;
  parent?: string;
  tag?: string;
  tmp?: string;
  hasSlot: boolean;
  retired: boolean;
  failed?: SluiceError;
}

let tagSequence = 0;

/** UTC time to the millisecond, the process id and a sequence: unique per file across processes. */
export function fileTag(now: number): string {
  const d = new Date(now);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}` +
    `.${process.pid}.${++tagSequence}`
  );
}

export class BucketedWriter implements EventSink {
  private readonly paths: PathPattern;
  private constantKey: string | undefined;
  private readonly maxOpen: number;
  private readonly now: () => number;
  private readonly fss: FileSystems;
  private readonly component: string;
  /** Open buckets in least-recently-used order (a Map keeps insertion order). */
  private readonly buckets = new Map<string, Bucket>();
  /** Directories known to exist, so a new file in a known directory costs no MKDIRS. */
  private readonly madeDirs = new Map<string, Promise<void>>();
  private readonly closing = new Set<Promise<SluiceError | undefined>>();
  private readonly inflight = new Set<Promise<void>>();
  /** Files holding a slot (opening, open or closing) and those waiting for one. */
  private live = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private gate: Promise<void> | undefined;
  private rollTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private state: 'new' | 'open' | 'closed' = 'new';
  /** Set when close starts, so a roll finishing meanwhile schedules no next one. */
  private stopping = false;
  filesCompleted = 0;
  eventsWritten = 0;
  /**
   * pathsConfined: events whose path had a value rewritten by the confinement rule; pathsRefused:
   * batches refused because a path would have left its directory; appendsFailed: appends that failed
   * (refused paths, encoding errors, file system errors).
   */
  readonly stats = { pathsConfined: 0, pathsRefused: 0, appendsFailed: 0 };

  constructor(private readonly opts: BucketedWriterOptions) {
    this.component = opts.component ?? 'bucketed writer';
    this.paths = new PathPattern(opts.dir, opts.file, {
      ...(opts.timeZone !== undefined ? { timeZone: opts.timeZone } : {}),
      place: { component: this.component },
    });
    this.maxOpen = Math.max(1, opts.maxOpenFiles ?? 1000);
    this.now = opts.now ?? Date.now;
    this.fss = new FileSystems(opts.fs);
  }

  /** Buckets with a file open (or opening). */
  get openFiles(): number {
    return this.buckets.size;
  }

  async open(): Promise<void> {
    if (this.state === 'open') throw new SluiceError('SLUICE_CLOSED', `${this.component}: opened twice`);
    this.state = 'open';
    this.stopping = false;
    if (this.opts.rollMillis && this.opts.rollMillis > 0) this.scheduleRoll(this.opts.rollMillis);
    const idle = this.opts.idleTimeoutMs ?? 0;
    if (idle > 0) {
      this.idleTimer = setInterval(() => this.closeIdle(), Math.max(20, Math.floor(idle / 4)));
      this.idleTimer.unref?.();
    }
  }

  append(batch: Batch): void | Promise<void> {
    if (this.state !== 'open') {
      return Promise.reject(
        new SluiceError(
          'SLUICE_CLOSED',
          `${this.component}: append on a ${this.state === 'new' ? 'sink not yet opened' : 'closed sink'}`,
        ),
      );
    }
    if (this.gate) return this.gate.then(() => this.append(batch));
    if (batch.length === 0) return;
    let r: Promise<void> | undefined;
    try {
      r = this.write(batch);
    } catch (e) {
      // A refused path or a format that cannot encode an event: the append fails like any other,
      // never by throwing.
      this.stats.appendsFailed++;
      return Promise.reject(this.placed(e));
    }
    if (r === undefined) return;
    const settled = r.then(
      () => {},
      () => {
        this.stats.appendsFailed++;
      },
    );
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
    return r;
  }

  private write(batch: Batch): Promise<void> | undefined {
    const now = this.now();
    let waits: Promise<void>[] | undefined;
    const add = (r: void | Promise<void>) => {
      if (r) (waits ??= []).push(r);
    };
    if (!this.paths.escaped) {
      // Plain patterns still need evaluating once (`%%` is a percent sign).
      this.constantKey ??= this.paths.key(batch[0]!);
      add(this.writeGroup(this.constantKey, batch, now));
    } else {
      const groups = this.group(batch);
      // Every new path is checked before anything is written, so a refused batch leaves no trace.
      for (const key of groups.keys()) {
        if (this.buckets.has(key)) continue;
        try {
          this.paths.locate(key, { component: this.component });
        } catch (e) {
          this.stats.pathsRefused++;
          throw e;
        }
      }
      for (const [key, events] of groups) add(this.writeGroup(key, events, now));
    }
    this.eventsWritten += batch.length;
    if (waits === undefined) return undefined;
    return waits.length === 1 ? waits[0]! : Promise.all(waits).then(() => {});
  }

  private group(batch: Batch): Map<string, Event[]> {
    const groups = new Map<string, Event[]>();
    let lastKey = '';
    let last: Event[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i]!;
      const key = this.paths.key(e);
      if (this.paths.confined !== this.stats.pathsConfined) this.noteConfined(key);
      if (key === lastKey && last !== undefined) {
        last.push(e);
        continue;
      }
      let g = groups.get(key);
      if (g === undefined) {
        g = [];
        groups.set(key, g);
      }
      g.push(e);
      lastKey = key;
      last = g;
    }
    return groups;
  }

  /** Logs the first confined path, then at every power of ten, so a flood of them makes a few lines. */
  private noteConfined(key: string): void {
    const n = this.paths.confined;
    this.stats.pathsConfined = n;
    if (10 ** Math.round(Math.log10(n)) !== n) return;
    // The logger is the component's child: its prefix already names the sink.
    this.opts.logger?.warn(
      `${n} event path(s) had values rewritten to stay under ${this.paths.rootText} ` +
        `(latest: ${JSON.stringify(PathPattern.display(key))})`,
    );
  }

  private writeGroup(key: string, events: Event[], now: number): void | Promise<void> {
    let b = this.buckets.get(key);
    let bytes: Buffer;
    if (b !== undefined) {
      bytes = b.format.encode(events);
      // Move to the most recently used end.
      this.buckets.delete(key);
      this.buckets.set(key, b);
    } else {
      [b, bytes] = this.newBucket(key, events);
    }
    b.lastUsed = now;
    b.events += events.length;
    b.bytes += bytes.length;
    let r: void | Promise<void>;
    if (b.out === undefined) {
      b.pending.push(bytes);
      r = b.opening;
    } else {
      const w = b.out.write(bytes);
      const bucket = b;
      r = w?.catch((e: unknown) => {
        throw this.fail(bucket, e);
      });
    }
    // Size and count rolls complete this file; the bucket's next batch starts a new one.
    const { rollEvents = 0, rollBytes = 0 } = this.opts;
    if ((rollEvents > 0 && b.events >= rollEvents) || (rollBytes > 0 && b.bytes >= rollBytes)) this.retire(b);
    return r;
  }

  /** A bucket is registered (and its file opened) only once its first events are encoded. */
  private newBucket(key: string, events: Event[]): [Bucket, Buffer] {
    const { parent, base } = this.paths.locate(key, { component: this.component });
    const b: Bucket = {
      key,
      format: this.opts.format(),
      lastUsed: 0,
      events: 0,
      bytes: 0,
      pending: [],
      opening: Promise.resolve(),
      parentUri: parent,
      base,
      hasSlot: false,
      retired: false,
    };
    // The header is taken before any batch is encoded: container formats (seqfile) count positions
    // from it.
    const header = b.format.header();
    if (header.length > 0) b.pending.push(header);
    const bytes = b.format.encode(events);
    this.buckets.set(key, b);
    b.opening = this.openBucket(b);
    // Nobody may await `opening` (a bucket evicted before its first write completes): failures are
    // reported through the appends that wrote to it.
    b.opening.catch(() => {});
    while (this.buckets.size > this.maxOpen) {
      const oldest = this.buckets.values().next().value as Bucket;
      this.retire(oldest);
    }
    return [b, bytes];
  }

  private async openBucket(b: Bucket): Promise<void> {
    await this.acquireSlot(b);
    try {
      const loc = this.fss.resolve(b.parentUri, { component: this.component });
      b.fs = loc.fs;
      b.parent = loc.path;
      await this.mkdirs(loc.fs, loc.path);
      let out: WritableFile | undefined;
      for (let attempt = 0; out === undefined; attempt++) {
        b.tag = fileTag(this.now());
        b.tmp = posix.join(b.parent, this.tmpName(b));
        try {
          out = await loc.fs.create(b.tmp);
        } catch (e) {
          if (!(e instanceof FileExistsError) || attempt >= 3) throw e;
        }
      }
      const file = this.opts.gzip ? new GzipFile(out) : out;
      let wait: Promise<void> | undefined;
      for (const p of b.pending) wait = file.write(p) ?? wait;
      b.pending = [];
      b.out = file;
      if (wait) await wait;
    } catch (e) {
      const err = this.placed(e);
      b.failed = err;
      b.pending = [];
      if (!b.retired) {
        b.retired = true;
        if (this.buckets.get(b.key) === b) this.buckets.delete(b.key);
      }
      if (b.out) await b.out.abort();
      this.releaseSlot(b);
      this.opts.logger?.error(`${this.component}: ${err.message}`);
      throw err;
    }
  }

  /** Hidden (a leading dot) and unique even for exact names, so a crashed run's leftovers never collide. */
  private tmpName(b: Bucket): string {
    return this.opts.naming === 'exact'
      ? `.${this.finalName(b, undefined)}.${b.tag}.tmp`
      : `.${this.finalName(b, b.tag)}.tmp`;
  }

  /** The final name: escaped base, the tag when given, then extension and `.gz`. */
  private finalName(b: Bucket, tag: string | undefined): string {
    const gz = this.opts.gzip ? '.gz' : '';
    if (this.opts.naming === 'exact') {
      const base = b.base || (tag ?? b.tag!);
      return tag !== undefined && b.base ? `${base}.${tag}${gz}` : `${base}${gz}`;
    }
    return `${b.base}${tag ?? b.tag}${this.opts.extension ?? ''}${gz}`;
  }

  private mkdirs(fs: FileSystem, path: string): Promise<void> {
    const key = fs.uri(path);
    let p = this.madeDirs.get(key);
    if (p === undefined) {
      if (this.madeDirs.size >= 10_000) this.madeDirs.clear();
      p = fs.mkdirs(path);
      this.madeDirs.set(key, p);
      p.catch(() => this.madeDirs.delete(key));
    }
    return p;
  }

  private acquireSlot(b: Bucket): Promise<void> | void {
    if (this.live < this.maxOpen) {
      this.live++;
      b.hasSlot = true;
      return;
    }
    return new Promise<void>((resolve) => {
      this.slotWaiters.push(() => {
        this.live++;
        b.hasSlot = true;
        resolve();
      });
    });
  }

  private releaseSlot(b: Bucket): void {
    if (!b.hasSlot) return;
    b.hasSlot = false;
    this.live--;
    const next = this.slotWaiters.shift();
    if (next) next();
  }

  /** A write failed: the file is abandoned under its temporary name and the bucket reopens anew. */
  private fail(b: Bucket, e: unknown): SluiceError {
    const err = this.placed(e);
    if (b.failed || b.retired) return err;
    b.failed = err;
    b.retired = true;
    if (this.buckets.get(b.key) === b) this.buckets.delete(b.key);
    this.opts.logger?.error(
      `${this.component}: ${err.message}; the incomplete file stays as ${this.tmpUri(b)}`,
    );
    this.track(
      (async () => {
        await b.out?.abort();
        this.releaseSlot(b);
        return undefined;
      })(),
    );
    return err;
  }

  private retire(b: Bucket): void {
    if (b.retired) return;
    b.retired = true;
    this.buckets.delete(b.key);
    this.track(
      this.closeBucket(b).then(
        () => undefined,
        (e: unknown) => asSluiceError(e, 'SLUICE_IO'),
      ),
    );
  }

  private track(p: Promise<SluiceError | undefined>): void {
    this.closing.add(p);
    void p.then(() => this.closing.delete(p));
  }

  private tmpUri(b: Bucket): string {
    return b.fs && b.tmp ? b.fs.uri(b.tmp) : PathPattern.display(b.key);
  }

  private async closeBucket(b: Bucket): Promise<void> {
    try {
      await b.opening;
    } catch {
      // The open failed and cleaned up after itself; its appends got the error.
      return;
    }
    const out = b.out!;
    try {
      const footer = b.format.footer();
      if (footer.length > 0) {
        const r = out.write(footer);
        if (r) await r;
      }
      await out.close();
    } catch (e) {
      const err = this.placed(e);
      await out.abort();
      this.opts.logger?.error(
        `${this.component}: ${err.message}; the incomplete file stays as ${this.tmpUri(b)}`,
      );
      throw err;
    } finally {
      this.releaseSlot(b);
    }
    const uri = await this.publish(b);
    this.filesCompleted++;
    this.opts.onFileClosed?.({ uri, events: b.events, bytes: out.bytesWritten });
  }

  /** Renames the temporary file to its final name; another tag when that name is taken. */
  private async publish(b: Bucket): Promise<string> {
    const fs = b.fs!;
    let name = this.finalName(b, this.opts.naming === 'exact' ? undefined : b.tag);
    for (let attempt = 0; ; attempt++) {
      const target = posix.join(b.parent!, name);
      try {
        await fs.rename(b.tmp!, target);
        return fs.uri(target);
      } catch (e) {
        if (!(e instanceof FileExistsError) || attempt >= 3) {
          const err = this.placed(e);
          this.opts.logger?.error(
            `${this.component}: ${err.message}; the complete file stays as ${fs.uri(b.tmp!)}`,
          );
          throw err;
        }
        this.opts.logger?.warn(`${this.component}: ${fs.uri(target)} exists; writing under another name`);
        name = this.finalName(b, fileTag(this.now()));
      }
    }
  }

  private placed(e: unknown): SluiceError {
    const err = asSluiceError(e, 'SLUICE_IO');
    if (err.place?.component !== undefined) return err;
    return new SluiceError(err.code, err.message, {
      place: { ...err.place, component: this.component },
      retriable: err.retriable,
      cause: err,
    });
  }

  private closeIdle(): void {
    if (this.gate || this.state !== 'open') return;
    const limit = this.now() - (this.opts.idleTimeoutMs ?? 0);
    for (const b of this.buckets.values()) {
      if (b.lastUsed > limit) break;
      this.retire(b);
    }
  }

  private scheduleRoll(ms: number): void {
    this.rollTimer = setTimeout(() => {
      this.roll()
        .catch((e: unknown) =>
          this.opts.logger?.error(`${this.component}: roll failed: ${asSluiceError(e).message}`),
        )
        .finally(() => {
          if (this.state === 'open' && !this.stopping) this.scheduleRoll(ms);
        });
    }, ms);
    this.rollTimer.unref?.();
  }

  /**
   * Completes every open file (footer, close, rename). Appends wait until it is done; later events go
   * to new files. Rejects with the first error after trying every file.
   */
  roll(): Promise<void> {
    const run = async () => {
      while (this.gate) await this.gate.catch(() => {});
      const done = this.closeAll();
      this.gate = done.then(
        () => {},
        () => {},
      );
      try {
        await done;
      } finally {
        this.gate = undefined;
      }
    };
    return run();
  }

  private async closeAll(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    for (const b of [...this.buckets.values()]) this.retire(b);
    const errors: SluiceError[] = [];
    while (this.closing.size > 0) {
      for (const e of await Promise.all([...this.closing])) if (e) errors.push(e);
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      throw new SluiceError(
        'SLUICE_IO',
        `${errors.length} files could not be completed; first: ${errors[0]!.message}`,
        {
          place: { component: this.component },
          cause: errors[0],
          detail: errors.map((e) => e.message).join('\n'),
        },
      );
    }
  }

  /** Completes every file and releases connections; appends are refused afterwards. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.stopping = true;
    if (this.rollTimer) clearTimeout(this.rollTimer);
    if (this.idleTimer) clearInterval(this.idleTimer);
    try {
      if (wasOpen) {
        while (this.gate) await this.gate;
        const done = this.closeAll();
        this.gate = done.then(
          () => {},
          () => {},
        );
        this.state = 'closed';
        await done;
      }
    } finally {
      this.state = 'closed';
      this.gate = undefined;
      this.constantKey = undefined;
      // Directories may be gone by the time the writer is opened again.
      this.madeDirs.clear();
      await this.fss.close();
    }
  }
}
