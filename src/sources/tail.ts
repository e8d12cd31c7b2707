import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { BuildContext, SourceDef } from '../catalog/types.js';
import type { Place } from '../core/errors.js';
import { isFatal, isSluiceError, SluiceError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { FileCursor, fileKey } from './file-cursor.js';
import type { LineOptions } from './lines.js';
import { MAX_BATCH } from './lines.js';
import type { PollingOptions } from './polling.js';
import { PollingSource } from './polling.js';
import { type FollowingNode, PositionHandover } from './position-handover.js';

/** The attribute naming the file a tailed line came from (Flume OG's TailSource.A_TAILSRCFILE). */
export const A_TAILSRCFILE = 'tailSrcFile';

async function statOrUndefined(
  path: string,
): Promise<{ dev: number; ino: number; size: number } | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

/**
 * Follows a file NAME like `tail -F`: reads the file it names; when the name moves to another file
 * (rename then re-create, delete then re-create) it first reads the old file to its end, then the new
 * one from its start. While the name is missing it keeps the old file open, so appends that still
 * land in a renamed file are read until a new file takes the name.
 */
export class NameFollower {
  private cursor: FileCursor | undefined;
  private missingLogged = false;
  private lastWarning = '';
  private readonly lineOptions: LineOptions;

  constructor(
    readonly path: string,
    private readonly log: Logger,
    private readonly place: Place,
  ) {
    this.lineOptions = { attrs: [[A_TAILSRCFILE, Buffer.from(basename(path))]] };
  }

  /**
   * The first open: from the end when asked; a missing file is waited for (and read from its start).
   * A name that cannot be read as configured (a directory, no permission) fails the start: a source
   * that would only warn and wait is a source that silently does nothing.
   */
  async start(fromEnd: boolean, resume?: ReadonlyMap<string, number>): Promise<void> {
    await this.tryOpen(fromEnd, true, resume);
  }

  /** Identity of the file being read (fileKey), if one is open. */
  get key(): string | undefined {
    return this.cursor?.key;
  }

  /**
   * Reads what is available into `out` (with the offset after each line in `ends`, all from the file
   * `key` named before the call); true when anything changed.
   */
  async poll(out: Event[], ends?: number[]): Promise<boolean> {
    const cur = this.cursor;
    if (cur === undefined) return this.tryOpen(false);
    if (await cur.drain(out, MAX_BATCH, ends)) return true;
    const st = await statOrUndefined(this.path);
    if (st === undefined) {
      this.reportMissing();
      return false;
    }
    this.missingLogged = false;
    if (fileKey(st) !== cur.key) {
      // Bytes may have landed in the old file between our read and the stat.
      if (await cur.drain(out, MAX_BATCH, ends)) return true;
      cur.finish(out, ends);
      await cur.close();
      this.cursor = undefined;
      this.log.info(`File ${this.path} was replaced by a new file; reading it from the start`);
      await this.tryOpen(false);
      return true;
    }
    if (st.size < cur.pos) {
      this.log.info(`File ${this.path} was truncated; reading it again from the start`);
      cur.restart(out, ends);
      return true;
    }
    return false;
  }

  async close(): Promise<void> {
    const cur = this.cursor;
    this.cursor = undefined;
    await cur?.close();
  }

  private async tryOpen(
    fromEnd: boolean,
    starting = false,
    resume?: ReadonlyMap<string, number>,
  ): Promise<boolean> {
    let cur: FileCursor | undefined;
    try {
      cur = await FileCursor.open(this.path, fromEnd ? 'end' : 0, this.lineOptions, this.place);
      const offset = cur === undefined ? undefined : resume?.get(cur.key);
      if (cur !== undefined && offset !== undefined && offset <= cur.opened.size) {
        cur.seek(offset);
        this.log.info(
          `File ${this.path}: going on at byte ${offset}, where the node's previous version stopped`,
        );
      }
    } catch (e) {
      if (!isSluiceError(e) || (starting && isFatal(e, 'start'))) throw e;
      // Once running, permissions or a directory in the way after a rotation may be fixed later:
      // warn once, keep trying like tail -F.
      if (e.message !== this.lastWarning) this.log.warn(`${e.message}; will retry`);
      this.lastWarning = e.message;
      return false;
    }
    if (cur === undefined) {
      this.reportMissing();
      return false;
    }
    this.cursor = cur;
    this.missingLogged = false;
    this.lastWarning = '';
    return true;
  }

  private reportMissing(): void {
    if (this.missingLogged) return;
    this.missingLogged = true;
    this.log.info(`File ${this.path} does not currently exist, waiting for file to appear`);
  }
}

export interface TailOptions extends PollingOptions {
  startFromEnd?: boolean;
  /** The component name used in log lines and error places. */
  component?: string;
  /**
   * The logical node the source runs in, and what it learns when that node stops for a new version
   * of itself: then the position of every followed file is passed on to the new version's source.
   */
  node?: FollowingNode;
}

/** tail and multitail: follows one or more file names, each as `tail -F` does. */
export class TailSource extends PollingSource {
  private readonly followers: NameFollower[];
  private readonly startFromEnd: boolean;
  private rr = 0;
  private readonly positions: PositionHandover;

  constructor(paths: readonly string[], log: Logger, opts: TailOptions = {}) {
    super(log, opts);
    const component = opts.component ?? 'tail';
    this.startFromEnd = opts.startFromEnd ?? false;
    // The scope: the same files, in the same order, as the node's previous version followed.
    this.positions = new PositionHandover(opts.node, paths.map((p) => resolve(p)).join('\0'));
    this.followers = paths.map(
      (p) => new NameFollower(p, log, { component, field: paths.length > 1 ? p : 'filename' }),
    );
  }

  async open(): Promise<void> {
    const byDir = new Map<string, Set<string>>();
    const resume = this.positions.takePassed();
    for (const f of this.followers) {
      const abs = resolve(f.path);
      await f.start(this.startFromEnd, resume);
      const dir = dirname(abs);
      let names = byDir.get(dir);
      if (!names) byDir.set(dir, (names = new Set()));
      names.add(basename(abs));
    }
    for (const [dir, names] of byDir) this.watchDir(dir, (n) => names.has(n));
  }

  protected async poll(): Promise<boolean> {
    let progress = false;
    const n = this.followers.length;
    const start = this.queue.items.length;
    this.positions.beginPoll();
    // Rotating the first file polled keeps one busy file from starving the others.
    for (let k = 0; k < n && this.queue.size < MAX_BATCH && !this.closed; k++) {
      const f = this.followers[(this.rr + k) % n]!;
      const items = this.queue.items;
      const before = items.length;
      // Every line of one poll of a follower comes from the file it had open before the poll.
      const key = f.key;
      const ends: number[] = [];
      if (await f.poll(items, ends)) progress = true;
      this.positions.read(key, ends, items.length - before);
    }
    this.positions.endPoll(this.queue.items.length - start);
    this.rr = (this.rr + 1) % n;
    return progress;
  }

  protected override handedOut(n: number): void {
    this.positions.handedOut(n);
  }

  protected async release(): Promise<void> {
    // A node stopping for a new version of itself passes on where each file was left.
    this.positions.close();
    await Promise.all(this.followers.map((f) => f.close()));
  }
}

const FOLLOW_DOCS =
  'One event per \\n-terminated line (without the \\n), each with the attribute tailSrcFile (the ' +
  "file's base name). Follows the file NAME like tail -F: when the file is renamed or deleted and a new " +
  'file appears under the name, the old file is read to its end, then the new one from its beginning. ' +
  'A missing file is waited for ("File X does not currently exist, waiting for file to appear") and ' +
  'read from its start when it appears. A file truncated in place is read again from its start. A ' +
  'partial last line is held until its newline arrives (it is emitted when the file is left behind or ' +
  'truncated). Files are polled every 100 ms, sooner when the directory reports a change. Never drained. ' +
  'When its node is replaced by a new version of itself (a live reconfiguration) the new source goes on ' +
  'where the old one stopped in each file, whatever startFromEnd says: no line twice, none skipped.';

export const tailSource: SourceDef = {
  kind: 'source',
  name: 'tail',
  docs: `Similar to Unix tail -F. ${FOLLOW_DOCS}`,
  params: [
    { name: 'filename', type: 'string', docs: 'The file name to follow.' },
    {
      name: 'startFromEnd',
      type: 'bool',
      optional: true,
      default: false,
      docs: 'When true, skip what the file holds when the source opens and read only what is appended.',
    },
  ],
  build: (args, ctx: BuildContext) =>
    new TailSource([args.string('filename')], ctx.logger.child('tail'), {
      startFromEnd: args.optBool('startFromEnd') ?? false,
      node: { name: ctx.nodeName, handover: ctx.handover },
    }),
};

export const multitailSource: SourceDef = {
  kind: 'source',
  name: 'multitail',
  docs: `Like tail, following several files concurrently (read from their beginning). ${FOLLOW_DOCS}`,
  params: [{ name: 'filenames', type: 'string', variadic: true, docs: 'One or more file names to follow.' }],
  build: (args, ctx: BuildContext) => {
    const files = ([] as string[]).concat(args.rest<string>('filenames'));
    if (files.length === 0) {
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', 'multitail needs at least one file name', {
        place: { component: 'multitail', field: 'filenames' },
      });
    }
    return new TailSource(files, ctx.logger.child('multitail'), {
      component: 'multitail',
      node: { name: ctx.nodeName, handover: ctx.handover },
    });
  },
};
