import type { FileHandle } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import type { SinkDef } from '../catalog/types.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { findFormat } from '../formats/index.js';
import { SeqfileWriter } from '../formats/seqfile.js';
import { escapedFileSink } from './escaped-file.js';

/** Encoded bytes are held until this many are pending, so batches of one event still make large writes. */
const WRITE_THRESHOLD = 64 * 1024;

/**
 * Writes events to a Hadoop SequenceFile (see formats/seqfile.ts), replacing an existing file on the
 * first open (a sink reopened after a failure appends to what it wrote). The
 * header is written on open; batches are encoded at once and written in 64 KiB or larger pieces;
 * `flush()` and `close()` write the rest. An append waits only when it triggers a write.
 */
export class SeqfileSink implements EventSink {
  private fh: FileHandle | undefined;
  private readonly writer = new SeqfileWriter();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;
  private opened = false;

  constructor(
    readonly path: string,
    private readonly component = 'seqfile',
  ) {}

  async open(): Promise<void> {
    const again = this.opened;
    try {
      this.fh = await openFile(this.path, again ? 'r+' : 'w');
    } catch (e) {
      throw ioError(e, `cannot create "${this.path}"`, { component: this.component, field: 'filename' });
    }
    this.opened = true;
    this.closed = false;
    // A write that failed before the close must not fail every write after the reopen.
    this.writing = Promise.resolve();
    if (!again) this.queue(this.writer.header());
    await this.writeOut();
  }

  append(batch: Batch): void | Promise<void> {
    if (this.closed || this.fh === undefined) {
      throw new SluiceError('SLUICE_CLOSED', `${this.component}: append to "${this.path}" while not open`);
    }
    try {
      this.queue(this.writer.encode(batch));
    } catch (e) {
      // The writer dropped the half-encoded batch (formats/seqfile.ts): the file stays well-formed.
      return Promise.reject(e);
    }
    if (this.pendingBytes >= WRITE_THRESHOLD) return this.writeOut();
  }

  flush(): Promise<void> {
    return this.writeOut();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fh = this.fh;
    try {
      await this.writeOut();
    } finally {
      this.fh = undefined;
      await fh?.close();
    }
  }

  private queue(b: Buffer): void {
    if (b.length === 0) return;
    this.pending.push(b);
    this.pendingBytes += b.length;
  }

  /** Writes what is pending after any write in flight, keeping the file's byte order. */
  private writeOut(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.pendingBytes === 0 || this.fh === undefined) return;
      const data =
        this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      try {
        for (let off = 0; off < data.length; ) {
          const { bytesWritten } = await this.fh.write(data, off, data.length - off, this.position);
          off += bytesWritten;
          this.position += bytesWritten;
        }
      } catch (e) {
        throw ioError(e, `cannot write "${this.path}"`, { component: this.component, field: 'filename' });
      }
    });
    return this.writing;
  }
}

export const seqfileSink: SinkDef = {
  kind: 'sink',
  name: 'seqfile',
  docs:
    'Writes events to a Hadoop SequenceFile with com.cloudera.flume.handlers.hdfs.WriteableEventKey keys ' +
    'and com.cloudera.flume.handlers.hdfs.WriteableEvent values (version 6, uncompressed, sync markers ' +
    'every 2000 bytes), which the seqfile source and Hadoop read back. An existing file is overwritten. ' +
    'With escapes in filename (%{rolltag}, %{host}, %Y ...) each distinct path is its own file, renamed ' +
    'into place when the sink closes, as for text.',
  params: [
    {
      name: 'filename',
      type: 'string',
      docs: 'The SequenceFile to write (replaced if it exists); escapes allowed (%% for a percent sign).',
    },
  ],
  build: (args, ctx) => {
    const timeZone = ctx.config.get('sluice.time.zone');
    const seqfile = findFormat('seqfile');
    return escapedFileSink(
      args.component,
      'filename',
      args.string('filename'),
      ctx,
      () => seqfile.create(timeZone ? { timeZone } : {}),
      (path) => new SeqfileSink(path, args.component),
    );
  },
};
