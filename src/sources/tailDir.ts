import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BuildContext, SourceDef } from '../catalog/types.js';
import type { Place } from '../core/errors.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { FileCursor, fileKey } from './file-cursor.js';
import { MAX_BATCH } from './lines.js';
import type { PollingOptions } from './polling.js';
import { PollingSource } from './polling.js';
import { type FollowingNode, PositionHandover } from './position-handover.js';
import { A_TAILSRCFILE } from './tail.js';

export interface TailDirOptions extends PollingOptions {
  /** Milliseconds between directory listings when no notification came (default 1000). */
  scanMs?: number;
  /** The logical node it runs in: positions pass to its next version (position-handover.ts). */
  node?: FollowingNode;
}

interface Tracked {
  cursor: FileCursor;
  name: string;
}

/**
 * Compiles the user's file pattern, matched against the whole file name (Java's `matches()`, which
 * Flume OG used). The seed's Java-style patterns (`\\w+`, `.*\\.log`) are valid JavaScript too.
 */
export function compileFileRegex(pattern: string, place: Place): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new SluiceError(
      'SLUICE_SPEC_BAD_ARGUMENT',
      `fileregex "${pattern}" is not a valid regular expression: ${(e as Error).message}`,
      { place, cause: e },
    );
  }
}

/**
 * Tails every regular file of a directory whose name matches a pattern, and files that appear later,
 * each from its start. Unlike tail, it follows FILES, not names: a file is known by its inode, so a
 * rotation that renames `app.log` to `app.log.1` inside the directory does not read it twice. A file
 * that leaves the directory (deleted or renamed to a name that does not match) is read to its end,
 * then dropped.
 */
export class TailDirSource extends PollingSource {
  private readonly tracked = new Map<string, Tracked>();
  private readonly scanMs: number;
  private readonly place: Place;
  private lastScan = 0;
  private scanDue = true;
  private dirMissingLogged = false;
  private rr = 0;
  private readonly positions: PositionHandover;
  /** Where the node's previous version left each file (fileKey -> offset), used as files are met. */
  private resume: ReadonlyMap<string, number> | undefined;

  constructor(
    readonly dir: string,
    private readonly regex: RegExp,
    log: Logger,
    opts: TailDirOptions = {},
  ) {
    super(log, opts);
    this.scanMs = Math.max(1, opts.scanMs ?? 1000);
    this.place = { component: 'tailDir', field: 'dirname' };
    this.positions = new PositionHandover(opts.node, `${resolve(dir)}\0${regex.source}`);
  }

  async open(): Promise<void> {
    let isDir: boolean;
    try {
      isDir = (await stat(this.dir)).isDirectory();
    } catch (e) {
      throw ioError(e, `cannot open directory "${this.dir}"`, this.place);
    }
    if (!isDir) throw new SluiceError('SLUICE_IO', `"${this.dir}" is not a directory`, { place: this.place });
    this.resume = this.positions.takePassed();
    const start = this.queue.items.length;
    this.positions.beginPoll();
    await this.scan();
    this.positions.endPoll(this.queue.items.length - start);
  }

  protected async poll(): Promise<boolean> {
    let progress = false;
    const now = Date.now();
    const start = this.queue.items.length;
    this.positions.beginPoll();
    if (this.scanDue || now - this.lastScan >= this.scanMs) progress = await this.scan();
    const all = [...this.tracked.values()];
    const n = all.length;
    for (let k = 0; k < n && this.queue.size < MAX_BATCH && !this.closed; k++) {
      if (await this.drain(all[(this.rr + k) % n]!.cursor)) progress = true;
    }
    if (n > 0) this.rr = (this.rr + 1) % n;
    this.positions.endPoll(this.queue.items.length - start);
    return progress;
  }

  /** Reads what a file has into the queue, reporting the lines' offsets (position-handover.ts). */
  private async drain(cursor: FileCursor): Promise<boolean> {
    const items = this.queue.items;
    const before = items.length;
    const ends: number[] = [];
    const progress = await cursor.drain(items, MAX_BATCH, ends);
    this.positions.read(cursor.key, ends, items.length - before);
    return progress;
  }

  protected override handedOut(n: number): void {
    this.positions.handedOut(n);
  }

  protected async release(): Promise<void> {
    // A node stopping for a new version of itself passes on where each file was left.
    this.positions.close();
    const all = [...this.tracked.values()];
    this.tracked.clear();
    await Promise.all(all.map((t) => t.cursor.close()));
  }

  /** Lists the directory: starts new files, notices truncation, finishes files that left. */
  private async scan(): Promise<boolean> {
    this.scanDue = false;
    this.lastScan = Date.now();
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw ioError(e, `cannot list "${this.dir}"`, this.place);
      if (!this.dirMissingLogged)
        this.log.info(`Directory ${this.dir} does not currently exist, waiting for it`);
      this.dirMissingLogged = true;
      return false;
    }
    this.dirMissingLogged = false;
    this.watchDir(this.dir, () => {
      this.scanDue = true;
      return true;
    });
    let progress = false;
    const seen = new Set<string>();
    for (const name of names) {
      if (!this.regex.test(name)) continue;
      const path = join(this.dir, name);
      const st = await stat(path).catch(() => undefined);
      if (st === undefined || !st.isFile()) continue;
      const key = fileKey(st);
      seen.add(key);
      const t = this.tracked.get(key);
      if (t !== undefined) {
        if (st.size < t.cursor.pos) {
          this.log.info(`File ${path} was truncated; reading it again from the start`);
          const items = this.queue.items;
          const before = items.length;
          const ends: number[] = [];
          t.cursor.restart(items, ends);
          this.positions.read(t.cursor.key, ends, items.length - before);
          progress = true;
        }
        continue;
      }
      const cursor = await FileCursor.open(
        path,
        0,
        { attrs: [[A_TAILSRCFILE, Buffer.from(name)]] },
        {
          component: 'tailDir',
          field: path,
        },
      ).catch((e: unknown) => {
        this.log.warn(`${(e as Error).message}; will retry`);
        return undefined;
      });
      // Gone between the listing and the open, or replaced (then the next scan meets the new file).
      if (cursor === undefined) continue;
      if (cursor.key !== key) {
        await cursor.close();
        this.scanDue = true;
        continue;
      }
      const offset = this.resume?.get(key);
      if (offset !== undefined && offset <= cursor.opened.size) {
        cursor.seek(offset);
        this.log.info(
          `Following ${path}, going on at byte ${offset} where the node's previous version stopped`,
        );
      } else this.log.info(`Following ${path}`);
      this.tracked.set(key, { cursor, name });
      progress = true;
    }
    for (const [key, t] of this.tracked) {
      if (seen.has(key)) continue;
      // Left the directory: finish what it holds (over several polls if it is long), then drop it.
      if (await this.drain(t.cursor)) {
        this.scanDue = true;
        progress = true;
        continue;
      }
      const items = this.queue.items;
      const before = items.length;
      const ends: number[] = [];
      t.cursor.finish(items, ends);
      this.positions.read(t.cursor.key, ends, items.length - before);
      await t.cursor.close();
      this.tracked.delete(key);
      this.log.info(`File ${join(this.dir, t.name)} left the directory; finished reading it`);
      progress = true;
    }
    return progress;
  }
}

export const tailDirSource: SourceDef = {
  kind: 'source',
  name: 'tailDir',
  docs:
    'Tails every regular file in directory dirname whose name matches fileregex (the whole name must ' +
    'match; JavaScript regex syntax, which accepts the usual Java-style patterns such as "\\\\w+\\\\.log"). ' +
    'Files present at open and files that appear later are read from their beginning, one event per ' +
    '\\n-terminated line with the attribute tailSrcFile (the file name). Files are followed by identity, ' +
    'so a rotation that renames a file inside the directory does not read it twice; a file that leaves ' +
    'the directory is read to its end and dropped; a file truncated in place is read again from its ' +
    'start. The directory is listed every second and whenever it reports a change; a missing directory ' +
    'is an error at open. A bad regex is an error naming the argument. Never drained. When its node is ' +
    'replaced by a new version of itself (a live reconfiguration) the new source goes on in each file ' +
    'where the old one stopped.',
  params: [
    { name: 'dirname', type: 'string', docs: 'The directory whose files are tailed.' },
    {
      name: 'fileregex',
      type: 'string',
      optional: true,
      default: '.*',
      docs: 'Only files whose whole name matches this regular expression are tailed.',
    },
  ],
  build: (args, ctx: BuildContext) => {
    const pattern = args.optString('fileregex') ?? '.*';
    const regex = compileFileRegex(pattern, { component: 'tailDir', field: 'fileregex' });
    return new TailDirSource(args.string('dirname'), regex, ctx.logger.child('tailDir'), {
      node: { name: ctx.nodeName, handover: ctx.handover },
    });
  },
};
