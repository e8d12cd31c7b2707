import type { FileHandle } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import type { SourceDef } from '../catalog/types.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { EventSource } from '../core/pipeline.js';
import { ChunkReader, EventQueue, LineSplitter, MAX_BATCH } from './lines.js';

/** Reads a file once, one event per '\n'-terminated line; a last line without '\n' is an event too. */
export class TextSource implements EventSource {
  private fh: FileHandle | undefined;
  private readonly queue = new EventQueue();
  private readonly splitter = new LineSplitter();
  private readonly reader = new ChunkReader();
  private pos = 0;
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
    await fh?.close();
  }

  private async fill(): Promise<Batch | null> {
    const fh = this.fh!;
    while (this.queue.size < MAX_BATCH && !this.eof && !this.closed) {
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(this.reader.buffer, 0, this.reader.buffer.length, this.pos));
      } catch (e) {
        if (this.closed) return null;
        throw ioError(e, `cannot read "${this.path}"`, { component: this.component, field: 'filename' });
      }
      if (n === 0) {
        this.eof = true;
        this.splitter.flush(this.queue.items);
        break;
      }
      this.pos += n;
      this.splitter.push(this.reader.chunk(n), this.queue.items);
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
