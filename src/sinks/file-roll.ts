import type { FileHandle } from 'node:fs/promises';
import { mkdir, open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NgSinkDef } from '../catalog/ng.js';
import type { BuildContext } from '../catalog/types.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { formatIn } from '../formats/index.js';
import type { OutputFormat } from '../formats/types.js';

export interface FileRollOptions {
  directory: string;
  /** Milliseconds between rolls; 0 never rolls. */
  rollIntervalMs: number;
  /** A new serializer for each file (container formats keep per-file state). */
  serializer: () => OutputFormat;
  prefix: string;
  extension: string;
  component?: string;
}

/**
 * Flume NG's file_roll sink: writes events to files in a directory, starting a new file every
 * rollInterval. Files are named like Flume's default path manager, `<prefix><startTime>-<n>[.<extension>]`,
 * where startTime is when the sink was created and n counts files from 1. A file is opened on the first
 * batch after a roll (an idle sink leaves no empty files); each batch is one write; a file is fsynced
 * when it is closed, at a roll or when the sink closes.
 */
export class FileRollSink implements EventSink {
  private readonly seriesStart = Date.now();
  private index = 0;
  private fh: FileHandle | undefined;
  private format: OutputFormat | undefined;
  private path = '';
  private timer: NodeJS.Timeout | undefined;
  private rollDue = false;
  private busy: Promise<void> | undefined;
  private readonly component: string;
  /** Names of the files written so far (reports, tests). */
  readonly files: string[] = [];

  constructor(
    private readonly opts: FileRollOptions,
    private readonly log: Logger,
  ) {
    this.component = opts.component ?? 'file_roll';
  }

  async open(): Promise<void> {
    try {
      await mkdir(this.opts.directory, { recursive: true });
    } catch (e) {
      throw ioError(e, `${this.component}: cannot create directory "${this.opts.directory}"`, {
        component: this.component,
        field: 'sink.directory',
      });
    }
    if (this.opts.rollIntervalMs > 0) {
      this.timer = setInterval(() => this.onRollTimer(), this.opts.rollIntervalMs);
      this.timer.unref();
    }
  }

  append(batch: Batch): void | Promise<void> {
    if (batch.length === 0) return;
    const p = this.write(batch);
    this.busy = p;
    return p.finally(() => {
      if (this.busy === p) this.busy = undefined;
    });
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy?.catch(() => {});
    await this.closeFile();
  }

  /** The file being written, if one is open. */
  get currentFile(): string | undefined {
    return this.fh === undefined ? undefined : this.path;
  }

  private onRollTimer(): void {
    this.rollDue = true;
    // An idle sink closes its file now, so what it holds is on disk without waiting for more events.
    if (this.busy === undefined && this.fh !== undefined) {
      const p = this.closeFile().catch((e: unknown) =>
        this.log.error(`${this.component}: ${(e as Error).message}`),
      );
      this.busy = p;
      void p.finally(() => {
        if (this.busy === p) this.busy = undefined;
      });
    }
  }

  private async write(batch: Batch): Promise<void> {
    if (this.rollDue) {
      this.rollDue = false;
      await this.closeFile();
    }
    if (this.fh === undefined) await this.openFile();
    await this.put(this.format!.encode(batch));
  }

  private async openFile(): Promise<void> {
    this.index++;
    const ext = this.opts.extension === '' ? '' : `.${this.opts.extension}`;
    const name = `${this.opts.prefix}${this.seriesStart}-${this.index}${ext}`;
    this.path = join(this.opts.directory, name);
    try {
      this.fh = await openFile(this.path, 'a');
    } catch (e) {
      throw ioError(e, `${this.component}: cannot create "${this.path}"`, {
        component: this.component,
        field: 'sink.directory',
      });
    }
    this.format = this.opts.serializer();
    this.files.push(name);
    await this.put(this.format.header());
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    if (fh === undefined) return;
    try {
      await this.put(this.format!.footer());
      await fh.sync();
    } catch (e) {
      throw ioError(e, `${this.component}: cannot write "${this.path}"`, {
        component: this.component,
        field: 'sink.directory',
      });
    } finally {
      this.fh = undefined;
      await fh.close().catch(() => {});
    }
  }

  private async put(buf: Buffer): Promise<void> {
    const fh = this.fh;
    if (fh === undefined)
      throw new SluiceError('SLUICE_CLOSED', `${this.component}: write while no file is open`);
    try {
      let off = 0;
      while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
    } catch (e) {
      throw ioError(e, `${this.component}: cannot write "${this.path}"`, {
        component: this.component,
        field: 'sink.directory',
      });
    }
  }
}

/** TEXT, HEADER_AND_TEXT, or any output format of the catalog (raw, debug, avrojson, avrodata ...). */
export function serializerFactory(
  name: string,
  timeZone: string | undefined,
  ctx: BuildContext,
): () => OutputFormat {
  // Looked up now, so an unknown name fails at configuration time.
  const def = formatIn(ctx, name, { ignoreCase: true });
  return () => def.create(timeZone !== undefined ? { timeZone } : {});
}

export const fileRollSink: NgSinkDef = {
  kind: 'ng-sink',
  type: 'file_roll',
  docs:
    'Flume NG file_roll sink: writes events to files in sink.directory, a new file every sink.rollInterval ' +
    'seconds, named <prefix><startTime>-<n>[.<extension>]. Each batch is one write; a file is fsynced when ' +
    'it is closed (at a roll and when the sink stops). The directory and prefix are taken literally and ' +
    'may not contain % (no escapes: use the hdfs sink with a file:// path to bucket by event fields).',
  properties: [
    {
      name: 'sink.directory',
      type: 'string',
      required: true,
      docs: 'Directory the files are written in (created if missing).',
    },
    {
      name: 'sink.rollInterval',
      type: 'int',
      default: '30',
      min: 0,
      docs: 'Seconds between new files; 0 writes one file forever.',
    },
    {
      name: 'sink.serializer',
      type: 'string',
      default: 'TEXT',
      docs: 'TEXT (body and newline), HEADER_AND_TEXT, or a Sluice output format (raw, debug, syslog, log4j, avrojson, avrodata).',
    },
    {
      name: 'sink.pathManager',
      type: 'string',
      default: 'DEFAULT',
      choices: ['DEFAULT'],
      docs: 'How files are named; only DEFAULT.',
    },
    { name: 'sink.pathManager.prefix', type: 'string', default: '', docs: 'Start of every file name.' },
    {
      name: 'sink.pathManager.extension',
      type: 'string',
      default: '',
      docs: 'File name extension (without the dot).',
    },
    {
      name: 'batchSize',
      type: 'int',
      default: '100',
      min: 1,
      docs: 'Most events taken from the channel per transaction.',
    },
  ],
  create(p, ctx) {
    // Flume's file_roll names files itself; a path pattern here would be written literally, so it is
    // refused rather than silently creating a directory called `%{host}`.
    for (const key of ['sink.directory', 'sink.pathManager.prefix']) {
      if (p.string(key).includes('%'))
        throw p.error(
          key,
          `file_roll does not expand escapes (%{host}, %Y ...) in ${key}; use the hdfs sink with ` +
            'hdfs.path = file:///dir/%{host} to write files by event fields',
        );
    }
    let serializer: () => OutputFormat;
    try {
      serializer = serializerFactory(p.string('sink.serializer'), ctx.config.get('sluice.time.zone'), ctx);
    } catch (e) {
      throw p.error('sink.serializer', (e as Error).message);
    }
    return new FileRollSink(
      {
        directory: p.string('sink.directory'),
        rollIntervalMs: p.int('sink.rollInterval') * 1000,
        serializer,
        prefix: p.string('sink.pathManager.prefix'),
        extension: p.string('sink.pathManager.extension'),
        component: p.component,
      },
      ctx.logger.child(p.component),
    );
  },
};
