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
 * An open file read forward from a position, turned into line events. It holds the descriptor, so
 * the file's identity is stable (the inode cannot be reused while it is open) and bytes appended
 * after a rename or an unlink can still be read.
 */
export class FileCursor {
  private readonly splitter: LineSplitter;
  private readonly reader = new ChunkReader();

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly key: string,
    public pos: number,
    lineOptions: LineOptions,
    private readonly place: Place,
  ) {
    this.splitter = new LineSplitter(lineOptions);
  }

  /** Opens `path` at its start or its end; undefined when it does not exist (any more). */
  static async open(
    path: string,
    fromEnd: boolean,
    lineOptions: LineOptions,
    place: Place,
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
      return new FileCursor(path, fh, fileKey(st), fromEnd ? st.size : 0, lineOptions, place);
    } catch (e) {
      await fh.close().catch(() => {});
      throw ioError(e, `cannot open "${path}"`, place);
    }
  }

  /**
   * Reads from the position towards the end of file, splitting lines into `out`, until the end or
   * until `out` holds a batch. True when any byte was read.
   */
  async drain(out: Event[]): Promise<boolean> {
    let progress = false;
    while (out.length < MAX_BATCH) {
      let n: number;
      try {
        ({ bytesRead: n } = await this.fh.read(this.reader.buffer, 0, this.reader.buffer.length, this.pos));
      } catch (e) {
        throw ioError(e, `cannot read "${this.path}"`, this.place);
      }
      if (n === 0) break;
      this.pos += n;
      progress = true;
      this.splitter.push(this.reader.chunk(n), out);
    }
    return progress;
  }

  /** The current size of the open file (not of whatever now has its name). */
  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  /**
   * The file shrank below the position: it was truncated in place (copytruncate). Emits the held
   * partial line (those bytes were written and must not be lost) and reads again from the start.
   */
  restart(out: Event[]): void {
    this.splitter.flush(out);
    this.pos = 0;
  }

  /** Emits the held partial line: nobody will finish it once this file is left behind. */
  finish(out: Event[]): void {
    this.splitter.flush(out);
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
  }
}
