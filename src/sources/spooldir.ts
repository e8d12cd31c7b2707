import { isUtf8 } from 'node:buffer';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import {
  mkdir,
  open as openFile,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { TextDecoder } from 'node:util';
import type { NgSourceDef } from '../catalog/ng.js';
import type { ComponentProperties } from '../catalog/properties.js';
import { acked } from '../core/ack.js';
import { Backoff } from '../core/backoff.js';
import { ioError, SluiceError } from '../core/errors.js';
import { type Batch, Event, localHost, nowNanos } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { Priority } from '../core/priority.js';
import { ChunkReader } from './lines.js';
import { SinglePull } from './single-pull.js';
import { Waker } from './waker.js';

export type ConsumeOrder = 'oldest' | 'youngest' | 'random';
export type DecodeErrorPolicy = 'FAIL' | 'REPLACE' | 'IGNORE';

export interface SpoolDirOptions {
  spoolDir: string;
  fileSuffix: string;
  deleteImmediately: boolean;
  fileHeaderKey?: string;
  basenameHeaderKey?: string;
  batchSize: number;
  includePattern: RegExp;
  ignorePattern: RegExp;
  /** Absolute, or relative to spoolDir. */
  trackerDir: string;
  trackingPolicy: 'rename' | 'tracker_dir';
  consumeOrder: ConsumeOrder;
  recursive: boolean;
  pollDelayMs: number;
  inputCharset: string;
  decodeErrorPolicy: DecodeErrorPolicy;
  maxLineLength: number;
  /** How errors name the component (`source r1`). */
  component?: string;
}

/** The position file kept in trackerDir: which file is being read and what the agent committed of it. */
export const META_FILE = '.flumespool-main.meta';

interface Meta {
  file: string;
  ino: number;
  offset: number;
  lines: number;
}

interface Current {
  path: string;
  fh: FileHandle;
  st: Stats;
  /** Bytes read from the file so far. */
  readPos: number;
  /** Offset where the line being held (not yet ended by '\n') starts. */
  lineStart: number;
  held: Buffer[];
  heldBytes: number;
  eof: boolean;
  /** Lines (events) handed out of this file, for the position file. */
  lines: number;
  /** Offset and lines after the last batch handed out: where the next batch starts. */
  handedPos: number;
  handedLines: number;
  attrs: [string, Buffer][];
}

/** A batch handed downstream, waiting for its ack (core/ack.ts). */
interface InFlight {
  /** Where the batch starts: what reading again after a failure starts from. */
  from: number;
  fromLines: number;
  /** Where a restart resumes once this batch is safe. */
  offset: number;
  lines: number;
  /** undefined while pending; null once ok; the failure otherwise. */
  outcome: Error | null | undefined;
}

/** First and longest pause before reading a failed batch again (Flume's spooldir backs off the same way). */
const RETRY_MS = 250;
const RETRY_MAX_MS = 4000;

const NL = 0x0a;

/**
 * Flume NG's spooling directory source: reads every file dropped into a directory, one event per line,
 * and marks a file done (renamed with fileSuffix, deleted, or recorded in trackerDir) once all its
 * events were committed.
 *
 * Acknowledgements (core/ack.ts): each batch carries an ack. The position file advances over the
 * batches acked ok, in file order; a file is marked done only once it was read to its end and every
 * batch of it was acked ok, and the next file is opened only then. A failed batch is read again from
 * its first line after a pause (250 ms doubling to 4 s, reset by the next ok), together with whatever
 * was handed out after it. A batch handed out but not acked when the process died is read again after
 * a restart: delivery is at least once, and what repeats is what was in flight (one batch with the
 * agent's runner, which acks before it pulls again).
 *
 * Files must not change once in the directory: a file whose size or modification time changed between
 * opening and completion, or whose completed name is already taken, stops this source with a
 * SluiceError (Flume's fatal IllegalStateException); the rest of the agent keeps running.
 */
export class SpoolDirSource implements EventSource {
  private readonly pull = new SinglePull();
  private readonly dir: string;
  private readonly trackerDir: string;
  private readonly reader = new ChunkReader();
  private readonly waker = new Waker();
  private readonly decoder: TextDecoder | undefined;
  private readonly place: { component: string; field: string };
  private resume: Meta | undefined;
  private cur: Current | undefined;
  /** Batches of the current file handed out and not yet settled in order, oldest first. */
  private inFlight: InFlight[] = [];
  /** A pull is waiting for acks (end of file reached): an ack wakes it. */
  private awaitingAcks = false;
  private readonly retry = new Backoff({ initialMs: RETRY_MS, maxMs: RETRY_MAX_MS });
  private ready: Event[] = [];
  /** Offset after each line of `ready` (or its start, for every piece but the last of a cut line). */
  private ends: number[] = [];
  private head = 0;
  private closed = false;
  private failed: SluiceError | undefined;
  private idleLogged = false;

  constructor(
    private readonly opts: SpoolDirOptions,
    private readonly log: Logger,
  ) {
    this.dir = resolve(opts.spoolDir);
    this.trackerDir = isAbsolute(opts.trackerDir) ? opts.trackerDir : join(this.dir, opts.trackerDir);
    this.place = { component: opts.component ?? 'spooldir', field: 'spoolDir' };
    const cs = opts.inputCharset.toLowerCase().replace(/_/g, '-');
    if (cs !== 'utf-8' && cs !== 'utf8') {
      try {
        this.decoder = new TextDecoder(cs, { fatal: opts.decodeErrorPolicy === 'FAIL' });
      } catch {
        throw new SluiceError('SLUICE_AGENT_CONFIG', `unknown inputCharset "${opts.inputCharset}"`, {
          place: { field: 'inputCharset' },
        });
      }
      if (this.decoder.encoding.startsWith('utf-16')) {
        throw new SluiceError(
          'SLUICE_AGENT_CONFIG',
          `inputCharset ${opts.inputCharset} is not supported (lines are split on the byte \\n)`,
          {
            place: { field: 'inputCharset' },
          },
        );
      }
    }
  }

  async open(): Promise<void> {
    let st: Stats;
    try {
      st = await stat(this.dir);
    } catch (e) {
      // Flume fails the same way: a spooling directory is made by whoever drops files into it.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new SluiceError(
          'SLUICE_NOT_FOUND',
          `cannot open spooling directory "${this.dir}": no such directory`,
          {
            place: this.place,
            cause: e,
          },
        );
      throw ioError(e, `cannot open spooling directory "${this.dir}"`, this.place);
    }
    if (!st.isDirectory())
      throw new SluiceError('SLUICE_IO', `"${this.dir}" is not a directory`, {
        place: this.place,
      });
    try {
      await mkdir(this.trackerDir, { recursive: true });
    } catch (e) {
      throw ioError(e, `cannot create trackerDir "${this.trackerDir}"`, {
        ...this.place,
        field: 'trackerDir',
      });
    }
    this.resume = await this.readMeta();
  }

  next(): Promise<Batch | null> {
    return this.pull.run(() =>
      this.advance().catch((e: unknown) => {
        if (this.closed) return null;
        const err = ioError(e, `spooling directory "${this.dir}"`, this.place);
        this.failed = err;
        throw err;
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waker.close();
    // A pull in progress ends at once (closed); then what was acked meanwhile is recorded, and a file
    // read to its end and wholly acked is marked done now rather than read again after a restart.
    const settle = () =>
      this.settle()
        .then(() => this.completeIfDone())
        .then(() => null);
    await this.pull.run(async () => null).catch(() => null);
    await this.pull
      .run(settle)
      .catch((e: unknown) => this.log.warn(`on close: ${ioError(e, this.dir, this.place).oneLine()}`));
    const cur = this.cur;
    this.cur = undefined;
    await cur?.fh.close().catch(() => {});
  }

  private async advance(): Promise<Batch | null> {
    if (this.failed) throw this.failed;
    for (;;) {
      await this.settle();
      if (this.closed) return null;
      if (this.cur === undefined && !(await this.openNext())) {
        if (!this.idleLogged)
          this.log.debug(`no file to read in ${this.dir}; polling every ${this.opts.pollDelayMs} ms`);
        this.idleLogged = true;
        await this.waker.wait(this.opts.pollDelayMs);
        continue;
      }
      this.idleLogged = false;
      const cur = this.cur!;
      while (this.ready.length - this.head < this.opts.batchSize && !cur.eof) await this.read(cur);
      if (this.closed) return null;
      const n = Math.min(this.opts.batchSize, this.ready.length - this.head);
      if (n === 0) {
        // Everything of the file was handed out (or it is empty): done once every batch of it is safe.
        if (await this.completeIfDone()) continue;
        this.awaitingAcks = true;
        await this.waker.wait(this.opts.pollDelayMs);
        this.awaitingAcks = false;
        continue;
      }
      const batch = this.ready.slice(this.head, this.head + n);
      const offset = this.ends[this.head + n - 1]!;
      this.head += n;
      if (this.head === this.ready.length) {
        this.ready = [];
        this.ends = [];
        this.head = 0;
      }
      cur.lines += n;
      const h: InFlight = {
        from: cur.handedPos,
        fromLines: cur.handedLines,
        offset,
        lines: cur.lines,
        outcome: undefined,
      };
      cur.handedPos = offset;
      cur.handedLines = cur.lines;
      this.inFlight.push(h);
      return acked(batch, (error) => {
        h.outcome = error ?? null;
        if (this.awaitingAcks) this.waker.wake();
      });
    }
  }

  /**
   * Records the batches acked ok, in file order, in the position file; at the first failed one, reads
   * the file again from that batch after a pause.
   */
  private async settle(): Promise<void> {
    let safe: InFlight | undefined;
    let failed: InFlight | undefined;
    while (this.inFlight.length > 0 && this.inFlight[0]!.outcome !== undefined) {
      const h = this.inFlight.shift()!;
      if (h.outcome === null) safe = h;
      else {
        failed = h;
        break;
      }
    }
    const cur = this.cur;
    if (cur === undefined) return;
    if (safe !== undefined) {
      this.retry.reset();
      await this.writeMeta({ file: cur.path, ino: cur.st.ino, offset: safe.offset, lines: safe.lines });
    }
    if (failed === undefined) return;
    // Batches handed out after the failed one are read again with it; their acks no longer count.
    this.inFlight = [];
    this.ready = [];
    this.ends = [];
    this.head = 0;
    cur.readPos = cur.lineStart = cur.handedPos = failed.from;
    cur.lines = cur.handedLines = failed.fromLines;
    cur.held = [];
    cur.heldBytes = 0;
    cur.eof = false;
    const wait = this.retry.fail();
    this.log.debug(
      `batch of ${cur.path} from byte ${failed.from} failed (${(failed.outcome as Error).message}); reading it again in ${wait} ms`,
    );
    await this.waker.wait(wait);
  }

  /** Marks the current file done when it was read to its end and every batch of it is safe. */
  private async completeIfDone(): Promise<boolean> {
    const cur = this.cur;
    if (cur === undefined || !cur.eof || this.ready.length > this.head || this.inFlight.length > 0)
      return false;
    this.cur = undefined;
    await cur.fh.close().catch(() => {});
    await this.complete(cur);
    await unlink(join(this.trackerDir, META_FILE)).catch(() => {});
    return true;
  }

  private async complete(cur: Current): Promise<void> {
    const now = await stat(cur.path).catch((e: unknown) => {
      throw ioError(e, `cannot mark "${cur.path}" as done`, this.place);
    });
    if (now.size !== cur.readPos || now.mtimeMs !== cur.st.mtimeMs || now.ino !== cur.st.ino) {
      throw new SluiceError(
        'SLUICE_IO',
        `file "${cur.path}" was modified after it was read (size at open ${cur.st.size}, now ${now.size}); files in a spooling directory must not change once placed there`,
        { place: { ...this.place, field: cur.path } },
      );
    }
    if (this.opts.deleteImmediately) {
      await unlink(cur.path).catch((e: unknown) => {
        throw ioError(e, `cannot delete "${cur.path}"`, this.place);
      });
      this.log.info(`read and deleted ${cur.path}`);
      return;
    }
    if (this.opts.trackingPolicy === 'tracker_dir') {
      const marker = join(this.trackerDir, relative(this.dir, cur.path) + this.opts.fileSuffix);
      await mkdir(dirname(marker), { recursive: true });
      await writeFile(marker, '');
      this.log.info(`read ${cur.path} (recorded in ${this.trackerDir})`);
      return;
    }
    const dest = cur.path + this.opts.fileSuffix;
    if (await exists(dest)) {
      throw new SluiceError(
        'SLUICE_IO',
        `cannot mark "${cur.path}" as done: "${dest}" already exists (a file name was used twice in the spooling directory)`,
        { place: { ...this.place, field: cur.path } },
      );
    }
    await rename(cur.path, dest);
    this.log.info(`read ${cur.path}, renamed to ${basename(dest)}`);
  }

  /** Picks and opens the next file by consumeOrder; false when there is none. */
  private async openNext(): Promise<boolean> {
    const files = await this.candidates();
    if (files.length === 0) return false;
    let pick: { path: string; st: Stats } | undefined;
    const r = this.resume;
    if (r !== undefined) {
      this.resume = undefined;
      pick = files.find((f) => f.path === r.file && f.st.ino === r.ino && f.st.size >= r.offset);
      if (pick === undefined)
        this.log.warn(`position file names ${r.file}, which is gone or changed; ignoring it`);
    }
    if (pick === undefined) {
      if (this.opts.consumeOrder === 'random') pick = files[Math.floor(Math.random() * files.length)]!;
      else {
        const sign = this.opts.consumeOrder === 'oldest' ? 1 : -1;
        files.sort(
          (a, b) => sign * (a.st.mtimeMs - b.st.mtimeMs) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
        );
        pick = files[0]!;
      }
    }
    let fh: FileHandle;
    try {
      fh = await openFile(pick.path, 'r');
    } catch (e) {
      throw ioError(e, `cannot open "${pick.path}"`, this.place);
    }
    const st = await fh.stat();
    const attrs: [string, Buffer][] = [];
    if (this.opts.fileHeaderKey !== undefined) attrs.push([this.opts.fileHeaderKey, Buffer.from(pick.path)]);
    if (this.opts.basenameHeaderKey !== undefined)
      attrs.push([this.opts.basenameHeaderKey, Buffer.from(basename(pick.path))]);
    const from = r !== undefined && pick.path === r.file ? r.offset : 0;
    this.cur = {
      path: pick.path,
      fh,
      st,
      readPos: from,
      lineStart: from,
      held: [],
      heldBytes: 0,
      eof: false,
      lines: from > 0 ? r!.lines : 0,
      handedPos: from,
      handedLines: from > 0 ? r!.lines : 0,
      attrs,
    };
    this.log.info(`reading ${pick.path}${from > 0 ? ` from byte ${from} (resumed)` : ''}`);
    return true;
  }

  private async candidates(): Promise<{ path: string; st: Stats }[]> {
    const out: { path: string; st: Stats }[] = [];
    const walk = async (dir: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        throw ioError(e, `cannot list "${dir}"`, this.place);
      }
      for (const name of names) {
        // Hidden entries hold Sluice's own state (trackerDir) or files still being copied in.
        if (name.startsWith('.') || name.endsWith(this.opts.fileSuffix)) continue;
        const path = join(dir, name);
        const st = await stat(path).catch(() => undefined);
        if (st === undefined) continue;
        if (st.isDirectory()) {
          if (this.opts.recursive && path !== this.trackerDir) await walk(path);
          continue;
        }
        if (!st.isFile() || !this.opts.includePattern.test(name) || this.opts.ignorePattern.test(name))
          continue;
        if (
          this.opts.trackingPolicy === 'tracker_dir' &&
          (await exists(join(this.trackerDir, relative(this.dir, path) + this.opts.fileSuffix)))
        )
          continue;
        out.push({ path, st });
      }
    };
    await walk(this.dir);
    return out;
  }

  /** Reads one chunk of the current file into `ready`. */
  private async read(cur: Current): Promise<void> {
    const { bytesRead } = await cur.fh.read(this.reader.buffer, 0, this.reader.buffer.length, cur.readPos);
    const ts = Date.now();
    const host = localHost();
    const nanos = nowNanos();
    const count = this.ready.length;
    if (bytesRead === 0) {
      cur.eof = true;
      if (cur.heldBytes > 0) this.line(cur, takeHeld(cur), cur.readPos, ts, nanos, host);
      return;
    }
    const chunk = this.reader.chunk(bytesRead);
    const base = cur.readPos;
    cur.readPos += bytesRead;
    let start = 0;
    let nl = chunk.indexOf(NL);
    while (nl >= 0) {
      let bytes = chunk.subarray(start, nl);
      if (cur.heldBytes > 0) {
        cur.held.push(bytes);
        cur.heldBytes += bytes.length;
        bytes = takeHeld(cur);
      }
      this.line(cur, bytes, base + nl + 1, ts, nanos + (this.ready.length - count), host);
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    if (start < chunk.length) {
      cur.held.push(chunk.subarray(start));
      cur.heldBytes += chunk.length - start;
    }
  }

  /** One line (without its '\n'): decoded per inputCharset, cut into maxLineLength pieces. */
  private line(cur: Current, bytes: Buffer, end: number, ts: number, nanos: number, host: string): void {
    let body = bytes;
    if (this.decoder !== undefined) body = Buffer.from(this.decode(cur, () => this.decoder!.decode(bytes)));
    else if (!isUtf8(bytes))
      body = Buffer.from(this.decode(cur, () => new TextDecoder('utf-8').decode(bytes)));
    const max = this.opts.maxLineLength;
    const start = cur.lineStart;
    cur.lineStart = end;
    // UTF-8 needs at least one byte per character, so a body of at most `max` bytes is never cut.
    if (body.length > max) {
      const text = body.toString('utf8');
      if (text.length > max) {
        for (let i = 0; i < text.length; i += max) {
          const last = i + max >= text.length;
          this.push(cur, Buffer.from(text.slice(i, i + max)), last ? end : start, ts, nanos, host);
        }
        return;
      }
    }
    this.push(cur, body, end, ts, nanos, host);
  }

  private decode(cur: Current, f: () => string): string {
    if (this.opts.decodeErrorPolicy === 'FAIL') {
      if (this.decoder === undefined) throw this.undecodable(cur);
      try {
        return f();
      } catch {
        throw this.undecodable(cur);
      }
    }
    const text = f();
    // IGNORE drops what REPLACE would have replaced (a U+FFFD already in the input goes too).
    return this.opts.decodeErrorPolicy === 'IGNORE' ? text.replace(/\uFFFD/g, '') : text;
  }

  private undecodable(cur: Current): SluiceError {
    return new SluiceError(
      'SLUICE_FORMAT',
      `"${cur.path}" line ${cur.lines + (this.ready.length - this.head) + 1} (byte ${cur.lineStart}) is not valid ${this.opts.inputCharset} (decodeErrorPolicy = FAIL)`,
      { place: { ...this.place, field: cur.path } },
    );
  }

  private push(cur: Current, body: Buffer, end: number, ts: number, nanos: number, host: string): void {
    let attrs: Map<string, Buffer> | undefined;
    if (cur.attrs.length > 0) {
      attrs = new Map();
      for (const [k, v] of cur.attrs) attrs.set(k, v);
    }
    this.ready.push(new Event(body, ts, Priority.INFO, nanos, host, attrs));
    this.ends.push(end);
  }

  private async readMeta(): Promise<Meta | undefined> {
    const path = join(this.trackerDir, META_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const m = JSON.parse(text) as Partial<Meta>;
      if (
        typeof m.file === 'string' &&
        typeof m.ino === 'number' &&
        typeof m.offset === 'number' &&
        typeof m.lines === 'number'
      ) {
        return { file: m.file, ino: m.ino, offset: m.offset, lines: m.lines };
      }
    } catch {
      // Falls through to the warning: a damaged position file only costs a re-read.
    }
    this.log.warn(`ignoring unreadable position file ${path}`);
    return undefined;
  }

  private async writeMeta(m: Meta): Promise<void> {
    const path = join(this.trackerDir, META_FILE);
    try {
      // Written aside and renamed, so a crash leaves the old position or the new one, never half.
      await writeFile(`${path}.tmp`, JSON.stringify(m));
      await rename(`${path}.tmp`, path);
    } catch (e) {
      throw ioError(e, `cannot write position file "${path}"`, {
        ...this.place,
        field: 'trackerDir',
      });
    }
  }
}

function takeHeld(cur: Current): Buffer {
  const b = cur.held.length === 1 ? cur.held[0]! : Buffer.concat(cur.held, cur.heldBytes);
  cur.held = [];
  cur.heldBytes = 0;
  return b;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function regex(p: ComponentProperties, key: string): RegExp {
  const src = p.string(key);
  try {
    return new RegExp(`^(?:${src})$`);
  } catch (e) {
    throw p.error(key, `${key} "${src}" is not a valid regular expression: ${(e as Error).message}`);
  }
}

export const spoolDirSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'spooldir',
  docs:
    'Flume NG spooling directory source: reads each file placed in spoolDir, one event per \\n-terminated line ' +
    '(a last line without \\n too), and marks it done once every batch of it was acked (put into the channels and ' +
    'committed): renamed with ' +
    'fileSuffix, deleted (deletePolicy = immediate) or recorded in trackerDir (trackingPolicy = tracker_dir). ' +
    'Files must be complete and unchanging once placed there: a file modified after it was read, or a completed ' +
    'name already taken, stops this source with an error (the rest of the agent runs on). A position file in ' +
    'trackerDir lets a restart resume inside a file; delivery is at least once (at most one batch repeats). A batch ' +
    'the channels refused is read again after a pause (250 ms doubling to 4 s).',
  properties: [
    { name: 'spoolDir', type: 'string', required: true, docs: 'The directory to read files from.' },
    {
      name: 'fileSuffix',
      type: 'string',
      default: '.COMPLETED',
      docs: 'Appended to the name of a file that was read completely.',
    },
    {
      name: 'deletePolicy',
      type: 'string',
      default: 'never',
      choices: ['never', 'immediate'],
      docs: 'immediate deletes a file once read instead of marking it.',
    },
    {
      name: 'fileHeader',
      type: 'bool',
      default: 'false',
      docs: 'Add a header with the absolute path of the file.',
    },
    { name: 'fileHeaderKey', type: 'string', default: 'file', docs: 'Name of that header.' },
    { name: 'basenameHeader', type: 'bool', default: 'false', docs: 'Add a header with the file name.' },
    { name: 'basenameHeaderKey', type: 'string', default: 'basename', docs: 'Name of that header.' },
    {
      name: 'batchSize',
      type: 'int',
      default: '100',
      min: 1,
      docs: 'Most events per batch put into the channels.',
    },
    {
      name: 'includePattern',
      type: 'string',
      default: '^.*$',
      docs: 'Only file names matching this regex are read.',
    },
    {
      name: 'ignorePattern',
      type: 'string',
      default: '^$',
      docs: 'File names matching this regex are skipped.',
    },
    {
      name: 'trackerDir',
      type: 'string',
      default: '.flumespool',
      docs: 'Directory of the position file (and of tracker_dir markers); relative to spoolDir unless absolute.',
    },
    {
      name: 'trackingPolicy',
      type: 'string',
      default: 'rename',
      choices: ['rename', 'tracker_dir'],
      docs: 'rename marks a done file by renaming it; tracker_dir leaves it and writes an empty <name><fileSuffix> in trackerDir.',
    },
    {
      name: 'consumeOrder',
      type: 'string',
      default: 'oldest',
      choices: ['oldest', 'youngest', 'random'],
      docs: 'Which file is read next: by modification time (ties by name), or at random.',
    },
    {
      name: 'recursiveDirectorySearch',
      type: 'bool',
      default: 'false',
      docs: 'Also read files in subdirectories.',
    },
    {
      name: 'pollDelay',
      type: 'int',
      default: '500',
      min: 1,
      docs: 'Milliseconds between looks at the directory when no file is waiting.',
    },
    {
      name: 'maxBackoff',
      type: 'int',
      default: '4000',
      min: 0,
      docs: 'Accepted for compatibility: when channels are full the agent retries the same batch itself.',
    },
    {
      name: 'inputCharset',
      type: 'string',
      default: 'UTF-8',
      docs: 'Character set of the files (bodies are written as UTF-8); ASCII-compatible sets only.',
    },
    {
      name: 'decodeErrorPolicy',
      type: 'string',
      default: 'FAIL',
      choices: ['FAIL', 'REPLACE', 'IGNORE'],
      docs: 'What an undecodable byte does: stop the source, become U+FFFD, or be dropped.',
    },
    {
      name: 'deserializer',
      type: 'string',
      default: 'LINE',
      choices: ['LINE'],
      docs: 'How files become events; only LINE (one event per line).',
    },
    {
      name: 'deserializer.maxLineLength',
      type: 'int',
      default: '2048',
      min: 1,
      docs: 'Longer lines are cut; the rest continues as the next event (in characters).',
    },
    {
      name: 'deserializer.outputCharset',
      type: 'string',
      default: 'UTF-8',
      choices: ['UTF-8'],
      docs: 'Bodies are UTF-8.',
    },
  ],
  create(p, ctx) {
    return new SpoolDirSource(
      {
        spoolDir: p.string('spoolDir'),
        fileSuffix: p.string('fileSuffix'),
        deleteImmediately: p.string('deletePolicy').toLowerCase() === 'immediate',
        ...(p.bool('fileHeader') ? { fileHeaderKey: p.string('fileHeaderKey') } : {}),
        ...(p.bool('basenameHeader') ? { basenameHeaderKey: p.string('basenameHeaderKey') } : {}),
        batchSize: p.int('batchSize'),
        includePattern: regex(p, 'includePattern'),
        ignorePattern: regex(p, 'ignorePattern'),
        trackerDir: p.string('trackerDir'),
        trackingPolicy: p.string('trackingPolicy').toLowerCase() === 'tracker_dir' ? 'tracker_dir' : 'rename',
        consumeOrder: p.string('consumeOrder').toLowerCase() as ConsumeOrder,
        recursive: p.bool('recursiveDirectorySearch'),
        pollDelayMs: p.int('pollDelay'),
        inputCharset: p.string('inputCharset'),
        decodeErrorPolicy: p.string('decodeErrorPolicy').toUpperCase() as DecodeErrorPolicy,
        maxLineLength: p.int('deserializer.maxLineLength'),
        component: p.component,
      },
      ctx.logger.child(p.component),
    );
  },
};
