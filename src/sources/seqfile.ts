import type { FileHandle } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import type { SourceDef } from '../catalog/types.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { SeqfileReader } from '../formats/seqfile.js';

const CHUNK = 256 * 1024;
const MAX_BATCH = 1000;

/**
 * Reads a SequenceFile of Flume events (as the seqfile sink writes) once, in batches of up to 1000
 * events, then is drained. A file that is not such a SequenceFile fails `next()` with SLUICE_FORMAT and
 * the byte offset; a truncated last record (a writer that died) ends the file with a warning.
 */
export class SeqfileSource implements EventSource {
  private fh: FileHandle | undefined;
  private readonly reader: SeqfileReader;
  private pos = 0;
  private eof = false;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly logger?: Logger,
    private readonly component = 'seqfile',
  ) {
    this.reader = new SeqfileReader(path);
  }

  async open(): Promise<void> {
    try {
      this.fh = await openFile(this.path, 'r');
    } catch (e) {
      throw ioError(e, `cannot open "${this.path}"`, { component: this.component, field: 'filename' });
    }
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.closed) return null;
    if (!this.fh) throw new SluiceError('SLUICE_CLOSED', `${this.component}: next() before open()`);
    const batch = this.drain();
    if (batch.length > 0) return batch;
    if (this.eof) return null;
    return this.fill();
  }

  async close(): Promise<void> {
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  /** Whole records already read, up to one batch. */
  private drain(): Batch {
    const batch: Event[] = [];
    for (
      let e = this.reader.next();
      e !== undefined;
      e = batch.length < MAX_BATCH ? this.reader.next() : undefined
    ) {
      batch.push(e);
    }
    return batch;
  }

  private async fill(): Promise<Batch | null> {
    for (;;) {
      const fh = this.fh;
      if (this.closed || fh === undefined) return null;
      // A fresh buffer per read: the reader keeps the unparsed tail of a chunk until the next push.
      const chunk = Buffer.allocUnsafe(CHUNK);
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(chunk, 0, CHUNK, this.pos));
      } catch (e) {
        if (this.closed) return null;
        throw ioError(e, `cannot read "${this.path}"`, { component: this.component, field: 'filename' });
      }
      if (this.closed) return null;
      if (n === 0) {
        this.eof = true;
        const leftover = this.reader.finish();
        if (leftover > 0) {
          this.logger?.warn(
            `${this.path}: ignoring ${leftover} bytes of a truncated last record at byte ${this.pos - leftover}`,
          );
        }
        return null;
      }
      this.pos += n;
      this.reader.push(chunk.subarray(0, n));
      const batch = this.drain();
      if (batch.length > 0) return batch;
    }
  }
}

export const seqfileSource: SourceDef = {
  kind: 'source',
  name: 'seqfile',
  docs:
    'Reads a Hadoop SequenceFile of com.cloudera.flume.handlers.hdfs.WriteableEventKey keys and ' +
    'com.cloudera.flume.handlers.hdfs.WriteableEvent values, such as the seqfile sink writes; every field ' +
    'of the events comes back. The source is drained at the end of the file.',
  params: [{ name: 'filename', type: 'string', docs: 'The SequenceFile to read.' }],
  build: (args, ctx) => new SeqfileSource(args.string('filename'), ctx.logger, args.component),
};
