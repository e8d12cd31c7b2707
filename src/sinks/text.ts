import type { FileHandle } from 'node:fs/promises';
import { open as openFile, stat } from 'node:fs/promises';
import type { SinkDef } from '../catalog/types.js';
import { asSluiceError, ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import type { OutputFormat } from '../formats/types.js';
import { escapedFileSink } from './escaped-file.js';
import { sinkFormat } from './outputFormat.js';
import { rememberWritten, wroteHere } from './written-here.js';

/** Bytes that may wait for the disk before append makes its caller wait (backpressure). */
const WRITE_BEHIND = 4 * 1024 * 1024;

/**
 * Writes formatted events to one file, replacing one left from before this process on the first open
 * (a sink reopened after a failure, or a new sink on a file this process wrote, appends, so nothing
 * written before is lost). Writes go behind: append encodes
 * the batch and returns at once while earlier bytes are still being written, so formatting the next
 * batch overlaps the disk; only when more than WRITE_BEHIND bytes wait does append return a promise.
 * Pending buffers are written together (one writev). A write error fails the next append or close.
 * Close writes the footer and fsyncs, so a closed text sink is on disk.
 */
export class TextSink implements EventSink {
  private fh: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> | undefined;
  private failure: unknown;
  private opened = false;

  constructor(
    readonly path: string,
    private readonly format: OutputFormat,
    private readonly component = 'text',
    private readonly logger?: Logger,
  ) {}

  async open(): Promise<void> {
    if (this.fh) return;
    // What this process wrote is never replaced (written-here.ts).
    const again = this.opened || wroteHere(this.path);
    if (!again && this.logger) {
      // Replacing a file from before is the documented behaviour, but never a silent one.
      const size = await stat(this.path).then(
        (st) => (st.isFile() ? st.size : 0),
        () => 0,
      );
      if (size > 0) this.logger.warn(`${this.component}: replacing ${this.path} (${size} bytes)`);
    }
    try {
      this.fh = await openFile(this.path, again ? 'a' : 'w');
    } catch (e) {
      throw ioError(e, `cannot create "${this.path}"`, { component: this.component, field: 'txtfile' });
    }
    this.opened = true;
    rememberWritten(this.path);
    this.failure = undefined;
    if (!again) await this.write(this.format.header());
  }

  append(batch: Batch): void | Promise<void> {
    if (this.fh === undefined) {
      throw new SluiceError('SLUICE_CLOSED', `${this.component}: append to "${this.path}" while not open`);
    }
    if (this.failure !== undefined) throw this.failure;
    let buf: Buffer;
    try {
      buf = this.format.encode(batch);
    } catch (e) {
      // An event the format cannot write fails its batch only; the file stays as it was.
      return Promise.reject(asSluiceError(e, 'SLUICE_FORMAT', { component: this.component }));
    }
    if (buf.length === 0) return;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.writing ??= this.drain();
    if (this.pendingBytes > WRITE_BEHIND) return this.writing.then(() => this.throwFailure());
  }

  private throwFailure(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Writes pending buffers until none are left; one writer at a time keeps the file in order. */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const bufs = this.pending;
        this.pending = [];
        this.pendingBytes = 0;
        await this.writeAll(bufs);
      }
    } catch (e) {
      this.failure = e;
    } finally {
      this.writing = undefined;
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    if (fh === undefined) return;
    try {
      if (this.writing) await this.writing;
      this.throwFailure();
      await this.write(this.format.footer());
      await fh.sync();
    } catch (e) {
      throw ioError(e, `cannot write "${this.path}"`, { component: this.component, field: 'txtfile' });
    } finally {
      this.fh = undefined;
      await fh.close().catch(() => undefined);
    }
  }

  private write(buf: Buffer): Promise<void> {
    return buf.length > 0 ? this.writeAll([buf]) : Promise.resolve();
  }

  private async writeAll(bufs: Buffer[]): Promise<void> {
    const fh = this.fh!;
    try {
      // A regular file takes everything at once almost always; the loop covers a short write.
      let rest = bufs;
      let total = 0;
      for (const b of bufs) total += b.length;
      while (total > 0) {
        const { bytesWritten } = await fh.writev(rest);
        total -= bytesWritten;
        if (total > 0) rest = skipBytes(rest, bytesWritten);
      }
    } catch (e) {
      throw ioError(e, `cannot write "${this.path}"`, { component: this.component, field: 'txtfile' });
    }
  }
}

function skipBytes(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) {
      n -= b.length;
      continue;
    }
    out.push(n > 0 ? b.subarray(n) : b);
    n = 0;
  }
  return out;
}

export const textSink: SinkDef = {
  kind: 'sink',
  name: 'text',
  docs:
    'Text file sink: writes events to the file txtfile in the given output format. An existing file ' +
    'left from before this process is overwritten (with a warning); a file this process already wrote (a ' +
    'node reconfigured live, a roll() period without %{rolltag}) is appended to, so nothing delivered is ' +
    'lost. The file is synced to disk on close. With escapes in txtfile (%{rolltag}, %{host}, ' +
    '%Y ...) each distinct path is its own file, written under a hidden temporary name and renamed when ' +
    'the sink closes (roll(ms) { text("/logs/part-%{rolltag}") } makes one file per period); event values ' +
    'are confined to the directory before the first escape, and a name already taken gets a unique tag ' +
    'instead of being replaced.',
  params: [
    {
      name: 'txtfile',
      type: 'string',
      docs: 'Path of the file to write; escapes allowed (write %% for a percent sign).',
    },
    {
      name: 'format',
      type: 'string',
      optional: true,
      default: 'raw',
      docs: 'Output format (raw, debug, syslog, log4j, avrojson, avrodata ...).',
    },
  ],
  build: (args, ctx) => {
    const name = args.optString('format') ?? 'raw';
    const format = () => sinkFormat(args.component, 'format', name, ctx);
    const first = format(); // an unknown format fails now, for plain and escaped paths alike
    return escapedFileSink(
      args.component,
      'txtfile',
      args.string('txtfile'),
      ctx,
      format,
      (path) => new TextSink(path, first, args.component, ctx.logger.child(args.component)),
    );
  },
};
