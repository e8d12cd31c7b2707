import type { Stats } from 'node:fs';
import { acked } from '../core/ack.js';
import type { Place } from '../core/errors.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import { FileCursor } from './file-cursor.js';
import type { ChunkReader } from './lines.js';
import type { SpoolCharset } from './spool-charset.js';
import type { SpoolCandidate, SpoolPosition } from './spool-files.js';

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

/** What the acks that came in since the last look say. */
export interface Settled {
  /** The position after the last batch acked ok in file order, when one was. */
  safe?: SpoolPosition;
  /** The first batch that failed: the file is read again from its first line. */
  failed?: { from: number; error: Error };
}

export interface SpooledFileOptions {
  /** Attributes of every event of the file (fileHeader, basenameHeader). */
  attrs: [string, Buffer][];
  charset: SpoolCharset;
  place: Place;
  /** One read buffer for the source's files (it reads one file at a time). */
  reader: ChunkReader;
}

/**
 * One spooled file being read: its lines through the shared line reader (FileCursor), the batches
 * handed out and their acks. Positions advance over the batches acked ok, in file order; a failed
 * batch rewinds the file to that batch's first line, dropping whatever was read or handed out after
 * it (their acks no longer count). The file is `done` once read to its end with every batch acked ok.
 */
export class SpooledFile {
  private ready: Event[] = [];
  /** Offset after each event of `ready` (a line's start for a piece of a cut line but its last). */
  private ends: number[] = [];
  private head = 0;
  /** Batches handed out and not yet settled in order, oldest first. */
  private inFlight: InFlight[] = [];
  private eof = false;
  /** Events handed out of this file, for the position file. */
  private lines: number;
  /** Offset and lines after the last batch handed out: where the next batch starts. */
  private handedPos: number;
  private handedLines: number;

  private constructor(
    private readonly cursor: FileCursor,
    from: SpoolPosition | undefined,
  ) {
    this.lines = this.handedLines = from?.lines ?? 0;
    this.handedPos = from?.offset ?? 0;
  }

  /** Opens `file` at its start, or where `from` says the agent committed it. */
  static async open(
    file: SpoolCandidate,
    from: SpoolPosition | undefined,
    opts: SpooledFileOptions,
  ): Promise<SpooledFile> {
    let self: SpooledFile | undefined;
    const recoder = opts.charset.recoder(
      (lineStart, charset) =>
        new SluiceError(
          'SLUICE_FORMAT',
          `"${file.path}" line ${self!.lineNumber()} (byte ${lineStart}) is not valid ${charset} (decodeErrorPolicy = FAIL)`,
          { place: { ...opts.place, field: file.path } },
        ),
    );
    const cursor = await FileCursor.open(
      file.path,
      from?.offset ?? 0,
      { attrs: opts.attrs, recoder },
      opts.place,
      opts.reader,
    );
    if (cursor === undefined)
      throw ioError(
        Object.assign(new Error('gone'), { code: 'ENOENT' }),
        `cannot open "${file.path}"`,
        opts.place,
      );
    self = new SpooledFile(cursor, from);
    return self;
  }

  get path(): string {
    return this.cursor.path;
  }

  /** The file's status when it was opened. */
  get opened(): Stats {
    return this.cursor.opened;
  }

  /** Bytes read from the file so far. */
  get readPos(): number {
    return this.cursor.pos;
  }

  /** Read to its end, everything handed out and acked ok. */
  get done(): boolean {
    return this.eof && this.ready.length === this.head && this.inFlight.length === 0;
  }

  /** Reads until `n` events are ready or the file ends (a last line without '\n' counts). */
  async fill(n: number): Promise<void> {
    while (this.ready.length - this.head < n && !this.eof) {
      if ((await this.cursor.read(this.ready, this.ends)) > 0) continue;
      this.eof = true;
      this.cursor.finish(this.ready, this.ends);
    }
  }

  /** The next batch of at most `n` events, carrying its ack; `onAck` runs when it settles. */
  take(n: number, onAck: () => void): Batch | undefined {
    const k = Math.min(n, this.ready.length - this.head);
    if (k === 0) return undefined;
    const batch = this.ready.slice(this.head, this.head + k);
    const offset = this.ends[this.head + k - 1]!;
    this.head += k;
    if (this.head === this.ready.length) {
      this.ready = [];
      this.ends = [];
      this.head = 0;
    }
    this.lines += k;
    const h: InFlight = {
      from: this.handedPos,
      fromLines: this.handedLines,
      offset,
      lines: this.lines,
      outcome: undefined,
    };
    this.handedPos = offset;
    this.handedLines = this.lines;
    this.inFlight.push(h);
    return acked(batch, (error) => {
      h.outcome = error ?? null;
      onAck();
    });
  }

  /** Takes in the acks settled in order; at the first failure, rewinds to the failed batch. */
  settle(): Settled {
    const out: Settled = {};
    let safe: InFlight | undefined;
    while (this.inFlight.length > 0 && this.inFlight[0]!.outcome !== undefined) {
      const h = this.inFlight.shift()!;
      if (h.outcome !== null) {
        this.rewind(h);
        out.failed = { from: h.from, error: h.outcome! };
        break;
      }
      safe = h;
    }
    if (safe !== undefined)
      out.safe = { file: this.path, ino: this.opened.ino, offset: safe.offset, lines: safe.lines };
    return out;
  }

  async close(): Promise<void> {
    await this.cursor.close();
  }

  /** Batches handed out after the failed one are read again with it. */
  private rewind(failed: InFlight): void {
    this.inFlight = [];
    this.ready = [];
    this.ends = [];
    this.head = 0;
    this.eof = false;
    this.cursor.seek(failed.from);
    this.handedPos = failed.from;
    this.lines = this.handedLines = failed.fromLines;
  }

  /** The number, counted in events, of the line being split (for error messages). */
  private lineNumber(): number {
    return this.lines + (this.ready.length - this.head) + 1;
  }
}
