import type { FileHandle } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import type { SourceDef } from '../catalog/types.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { EventSource } from '../core/pipeline.js';
import { CHUNK_SIZE, EventQueue, LineSplitter, MAX_BATCH } from './lines.js';

/** Reads a file once, one event per '\n'-terminated line; a last line without '\n' is an event too. */
export class TextSource implements EventSource {
  private fh: FileHandle | undefined;
  private readonly queue = new EventQueue();
  private readonly splitter = new LineSplitter();
  private pos = 0;
  private readPos = 0;
  private inflight: Promise<{ buf: Buffer; n: number }> | undefined;
  private eof = false;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly component = 'text',
  ) {}

  async open(): Promise<void> {
    try {
      this.fh = await openFile(this.path, 'r');
    } catch (e) {
      throw ioError(e, `cannot open "${this.path}"`, { component: this.component, field: 'filename' });
    }
  }

  next(): Batch | null | Promise<Batch | null> {
    const b = this.queue.take(MAX_BATCH);
    if (b !== null) return b;
    if (this.eof || this.closed) return null;
    if (!this.fh) throw new SluiceError('SLUICE_CLOSED', `${this.component}: next() before open()`);
    return this.fill();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.clear();
    const fh = this.fh;
    this.fh = undefined;
    // A read ahead still running must finish before its file handle closes.
    await this.inflight?.catch(() => undefined);
    this.inflight = undefined;
    await fh?.close();
  }

  /**
   * One read is always in flight ahead of the splitting (read-ahead), so the disk and the CPU work
   * at the same time; each read gets its own buffer because events keep views into their chunk.
   */
  private startRead(): Promise<{ buf: Buffer; n: number }> {
    const buf = Buffer.allocUnsafe(CHUNK_SIZE);
    const at = this.readPos;
    this.readPos += CHUNK_SIZE;
    return this.fh!.read(buf, 0, CHUNK_SIZE, at).then((r) => ({ buf, n: r.bytesRead }));
  }

  private async fill(): Promise<Batch | null> {
    while (this.queue.size < MAX_BATCH && !this.eof && !this.closed) {
      let r: { buf: Buffer; n: number };
      try {
        r = await (this.inflight ?? this.startRead());
      } catch (e) {
        this.inflight = undefined;
        if (this.closed) return null;
        throw ioError(e, `cannot read "${this.path}"`, { component: this.component, field: 'filename' });
      }
      this.inflight = undefined;
      if (r.n === 0) {
        this.eof = true;
        this.splitter.flush(this.queue.items);
        break;
      }
      // A short read means end of file for now; only a full one makes reading ahead worthwhile.
      if (r.n === CHUNK_SIZE) this.inflight = this.startRead();
      else this.readPos = this.pos + r.n;
      this.pos += r.n;
      // A short read is copied out so events do not pin a mostly empty 256 KiB buffer.
      this.splitter.push(
        r.n < CHUNK_SIZE / 4 ? Buffer.from(r.buf.subarray(0, r.n)) : r.buf.subarray(0, r.n),
        this.queue.items,
      );
    }
    if (this.closed) return null;
    return this.queue.take(MAX_BATCH);
  }
}

export const textSource: SourceDef = {
  kind: 'source',
  name: 'text',
  docs:
    'One-time text file source: one event per \\n-delimited line (the \\n is not part of the body; a \\r ' +
    'before it is kept). A last line without \\n is an event too. The source is drained at end of file. ' +
    'A missing file is an error when the source opens.',
  params: [{ name: 'filename', type: 'string', docs: 'The file to read.' }],
  build: (args) => new TextSource(args.string('filename')),
};
