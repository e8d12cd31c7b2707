import type { FileHandle } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import type { SinkDef } from '../catalog/types.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { findFormat } from '../formats/index.js';
import { SeqfileReader, SeqfileWriter } from '../formats/seqfile.js';
import { escapedFileSink } from './escaped-file.js';
import { rememberWritten, wroteHere } from './written-here.js';

/** Encoded bytes are held until this many are pending, so batches of one event still make large writes. */
const WRITE_THRESHOLD = 64 * 1024;

/**
 * Writes events to a Hadoop SequenceFile (see formats/seqfile.ts), replacing a file left from before
 * this process on the first open (a sink reopened after a failure appends to what it wrote, and a new
 * sink on a file this process wrote continues it, as written-here.ts says). The
 * header is written on open; batches are encoded at once and written in 64 KiB or larger pieces;
 * `flush()` and `close()` write the rest. An append waits only when it triggers a write.
 */
export class SeqfileSink implements EventSink {
  private fh: FileHandle | undefined;
  private writer = new SeqfileWriter();
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
    const resumed = !again && wroteHere(this.path) ? await this.resumable() : undefined;
    try {
      this.fh = await openFile(this.path, again || resumed !== undefined ? 'r+' : 'w');
    } catch (e) {
      throw ioError(e, `cannot create "${this.path}"`, { component: this.component, field: 'filename' });
    }
    this.opened = true;
    this.closed = false;
    rememberWritten(this.path);
    // A write that failed before the close must not fail every write after the reopen.
    this.writing = Promise.resolve();
    if (resumed !== undefined) {
      this.writer = new SeqfileWriter({ sync: resumed.sync });
      this.writer.resume(resumed.length);
      this.position = resumed.length;
    } else if (!again) this.queue(this.writer.header());
    await this.writeOut();
  }

  /**
   * A file an earlier sink of this process wrote (a node reconfigured live) is continued, not
   * replaced: its sync marker and length, or undefined when it is not a SequenceFile any more.
   */
  private async resumable(): Promise<{ sync: Buffer; length: number } | undefined> {
    try {
      const fh = await openFile(this.path, 'r');
      try {
        const { size } = await fh.stat();
        const { buffer, bytesRead } = await fh.read(
          Buffer.alloc(Math.min(size, 64 * 1024)),
          0,
          Math.min(size, 64 * 1024),
          0,
        );
        const reader = new SeqfileReader(this.path);
        reader.push(buffer.subarray(0, bytesRead));
        try {
          reader.next();
        } catch {
          // Only the header matters here: a record the reader refuses does not make the file new.
        }
        const header = reader.header;
        return header === undefined ? undefined : { sync: header.sync, length: size };
      } finally {
        await fh.close();
      }
    } catch {
      return undefined;
    }
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
    'every 2000 bytes), which the seqfile source and Hadoop read back. A file left from before this ' +
    'process is overwritten; one this process already wrote (a node reconfigured live) is continued. ' +
    'With escapes in filename (%{rolltag}, %{host}, %Y ...) each distinct path is its own file, renamed ' +
    'into place when the sink closes, as for text.',
  params: [
    {
      name: 'filename',
      type: 'string',
      docs: 'The SequenceFile to write; escapes allowed (%% for a percent sign).',
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
