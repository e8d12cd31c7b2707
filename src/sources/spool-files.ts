import type { Stats } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Place } from '../core/errors.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export type ConsumeOrder = 'oldest' | 'youngest' | 'random';

export interface SpoolFilesOptions {
  spoolDir: string;
  fileSuffix: string;
  deleteImmediately: boolean;
  includePattern: RegExp;
  ignorePattern: RegExp;
  /** Absolute, or relative to spoolDir. */
  trackerDir: string;
  trackingPolicy: 'rename' | 'tracker_dir';
  consumeOrder: ConsumeOrder;
  recursive: boolean;
}

/** The position file kept in trackerDir: which file is being read and what the agent committed of it. */
export const META_FILE = '.flumespool-main.meta';

/** What the position file records: a file by name and inode, and how far it was committed. */
export interface SpoolPosition {
  file: string;
  ino: number;
  offset: number;
  lines: number;
}

export interface SpoolCandidate {
  path: string;
  st: Stats;
}

/**
 * The spooling directory's side of spooldir: which files wait to be read and in which order
 * (consumeOrder), how a file read completely is marked done (renamed with fileSuffix, deleted, or a
 * marker in trackerDir), and the position file that lets a restart resume inside a file.
 */
export class SpoolFiles {
  readonly dir: string;
  readonly trackerDir: string;
  private readonly metaPath: string;

  constructor(
    private readonly opts: SpoolFilesOptions,
    private readonly log: Logger,
    private readonly place: Place,
  ) {
    this.dir = resolve(opts.spoolDir);
    this.trackerDir = isAbsolute(opts.trackerDir) ? opts.trackerDir : join(this.dir, opts.trackerDir);
    this.metaPath = join(this.trackerDir, META_FILE);
  }

  /** Checks the directory, creates trackerDir, and returns the recorded position, if any. */
  async open(): Promise<SpoolPosition | undefined> {
    let st: Stats;
    try {
      st = await stat(this.dir);
    } catch (e) {
      // Flume fails the same way: a spooling directory is made by whoever drops files into it.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new SluiceError(
          'SLUICE_NOT_FOUND',
          `cannot open spooling directory "${this.dir}": no such directory`,
          { place: this.place, cause: e },
        );
      throw ioError(e, `cannot open spooling directory "${this.dir}"`, this.place);
    }
    if (!st.isDirectory())
      throw new SluiceError('SLUICE_IO', `"${this.dir}" is not a directory`, { place: this.place });
    try {
      await mkdir(this.trackerDir, { recursive: true });
    } catch (e) {
      throw ioError(e, `cannot create trackerDir "${this.trackerDir}"`, {
        ...this.place,
        field: 'trackerDir',
      });
    }
    return this.readPosition();
  }

  /**
   * The next file to read: the one the position file names when it is still there unchanged (then
   * `resume` is returned with it), else the first by consumeOrder; undefined when none waits.
   */
  async pick(
    resume: SpoolPosition | undefined,
  ): Promise<{ file: SpoolCandidate; resume?: SpoolPosition } | undefined> {
    const files = await this.candidates();
    if (files.length === 0) return undefined;
    if (resume !== undefined) {
      const r = resume;
      const same = files.find((f) => f.path === r.file && f.st.ino === r.ino && f.st.size >= r.offset);
      if (same !== undefined) return { file: same, resume: r };
      this.log.warn(`position file names ${r.file}, which is gone or changed; ignoring it`);
    }
    if (this.opts.consumeOrder === 'random')
      return { file: files[Math.floor(Math.random() * files.length)]! };
    const sign = this.opts.consumeOrder === 'oldest' ? 1 : -1;
    files.sort(
      (a, b) => sign * (a.st.mtimeMs - b.st.mtimeMs) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
    );
    return { file: files[0]! };
  }

  /**
   * Marks a file read to its end (`size` bytes) done, after checking it did not change since it was
   * opened (`opened`), and forgets the position recorded inside it.
   */
  async markDone(path: string, opened: Stats, size: number): Promise<void> {
    const now = await stat(path).catch((e: unknown) => {
      throw ioError(e, `cannot mark "${path}" as done`, this.place);
    });
    if (now.size !== size || now.mtimeMs !== opened.mtimeMs || now.ino !== opened.ino) {
      throw new SluiceError(
        'SLUICE_IO',
        `file "${path}" was modified after it was read (size at open ${opened.size}, now ${now.size}); files in a spooling directory must not change once placed there`,
        { place: { ...this.place, field: path } },
      );
    }
    await this.mark(path);
    await unlink(this.metaPath).catch(() => {});
  }

  async savePosition(p: SpoolPosition): Promise<void> {
    const path = this.metaPath;
    try {
      // Written aside and renamed, so a crash leaves the old position or the new one, never half.
      await writeFile(`${path}.tmp`, JSON.stringify(p));
      await rename(`${path}.tmp`, path);
    } catch (e) {
      throw ioError(e, `cannot write position file "${path}"`, { ...this.place, field: 'trackerDir' });
    }
  }

  private async mark(path: string): Promise<void> {
    if (this.opts.deleteImmediately) {
      await unlink(path).catch((e: unknown) => {
        throw ioError(e, `cannot delete "${path}"`, this.place);
      });
      this.log.info(`read and deleted ${path}`);
      return;
    }
    if (this.opts.trackingPolicy === 'tracker_dir') {
      const marker = this.marker(path);
      await mkdir(dirname(marker), { recursive: true });
      await writeFile(marker, '');
      this.log.info(`read ${path} (recorded in ${this.trackerDir})`);
      return;
    }
    const dest = path + this.opts.fileSuffix;
    if (await exists(dest)) {
      throw new SluiceError(
        'SLUICE_IO',
        `cannot mark "${path}" as done: "${dest}" already exists (a file name was used twice in the spooling directory)`,
        { place: { ...this.place, field: path } },
      );
    }
    await rename(path, dest);
    this.log.info(`read ${path}, renamed to ${basename(dest)}`);
  }

  /** tracker_dir's record that a file was read: an empty file named after it in trackerDir. */
  private marker(path: string): string {
    return join(this.trackerDir, relative(this.dir, path) + this.opts.fileSuffix);
  }

  private async candidates(): Promise<SpoolCandidate[]> {
    const out: SpoolCandidate[] = [];
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
        if (this.opts.trackingPolicy === 'tracker_dir' && (await exists(this.marker(path)))) continue;
        out.push({ path, st });
      }
    };
    await walk(this.dir);
    return out;
  }

  private async readPosition(): Promise<SpoolPosition | undefined> {
    let text: string;
    try {
      text = await readFile(this.metaPath, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const m = JSON.parse(text) as Partial<SpoolPosition>;
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
    this.log.warn(`ignoring unreadable position file ${this.metaPath}`);
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
