import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import type { Place } from '../core/errors.js';
import { ioError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { LineOptions } from './lines.js';
import { ChunkReader, LineSplitter, MAX_BATCH } from './lines.js';

/** Identity of a file independent of its name: what survives a rename. */
export function fileKey(st: { dev: number; ino: number }): string {
  return `${st.dev}:${st.ino}`;
}

/**
 * An open file read forward from a position, turned into line events by the shared LineSplitter: what
 * every file source (tail, tailDir, TAILDIR, spooldir) reads through. It holds the descriptor, so the
 * file's identity is stable (the inode cannot be reused while it is open) and bytes appended after a
 * rename or an unlink can still be read. Offsets after each line (`ends`) and `seek` serve the sources
 * that keep positions and read again after a failed batch.
 */
export class FileCursor {
  readonly lines: LineSplitter;

  private constructor(
    /** The name it was opened by, or the one it was last seen under (errors name it). */
    public path: string,
    private readonly fh: FileHandle,
    /** The file's status when it was opened. */
    readonly opened: Stats,
    from: number,
    lineOptions: LineOptions,
    private readonly place: Place,
    private readonly reader: ChunkReader,
  ) {
    this.lines = new LineSplitter(lineOptions);
    this.lines.seek(from);
  }

  /**
   * Opens `path` at an offset or its end; undefined when it does not exist (any more). Sources reading
   * one file at a time share one ChunkReader among their cursors (`reader`).
   */
  static async open(
    path: string,
    from: number | 'end',
    lineOptions: LineOptions,
    place: Place,
    reader: ChunkReader = new ChunkReader(),
  ): Promise<FileCursor | undefined> {
    let fh: FileHandle;
    try {
      fh = await openFile(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError(e, `cannot open "${path}"`, place);
    }
    try {
      const st = await fh.stat();
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      return new FileCursor(path, fh, st, from === 'end' ? st.size : from, lineOptions, place, reader);
    } catch (e) {
      await fh.close().catch(() => {});
      throw ioError(e, `cannot open "${path}"`, place);
    }
  }

  /** Identity of the open file (`fileKey`). */
  get key(): string {
    return fileKey(this.opened);
  }

  /** The offset of the next byte to read. */
  get pos(): number {
    return this.lines.position;
  }

  /** Reads one chunk from the position, splitting its lines into `out`; the bytes read (0 at the end). */
  async read(out: Event[], ends?: number[]): Promise<number> {
    const buf = this.reader.buffer;
    let n: number;
    try {
      ({ bytesRead: n } = await this.fh.read(buf, 0, buf.length, this.lines.position));
    } catch (e) {
      throw ioError(e, `cannot read "${this.path}"`, this.place);
    }
    if (n > 0) this.lines.push(this.reader.chunk(n), out, ends);
    return n;
  }

  /**
   * Reads from the position towards the end of file, splitting lines into `out`, until the end or
   * until `out` holds `max` events. True when any byte was read.
   */
  async drain(out: Event[], max = MAX_BATCH, ends?: number[]): Promise<boolean> {
    let progress = false;
    while (out.length < max && (await this.read(out, ends)) > 0) progress = true;
    return progress;
  }

  /** Forgets any held partial line and reads on from `pos`. */
  seek(pos: number): void {
    this.lines.seek(pos);
  }

  /** The current size of the open file (not of whatever now has its name). */
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  /**
   * The file shrank below the position: it was truncated in place (copytruncate). Emits the held
   * partial line (those bytes were written and must not be lost) and reads again from the start.
   */
  restart(out: Event[], ends?: number[]): void {
    this.lines.flush(out, ends);
    this.lines.seek(0);
  }

  /** Emits the held partial line: nobody will finish it once this file is left behind. */
  finish(out: Event[], ends?: number[]): void {
    this.lines.flush(out, ends);
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
  }
}
