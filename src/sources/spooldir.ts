import { basename } from 'node:path';
import type { NgSourceDef } from '../catalog/ng.js';
import type { ComponentProperties } from '../catalog/properties.js';
import { Backoff } from '../core/backoff.js';
import { ioError, type SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { ChunkReader } from './lines.js';
import { SinglePull } from './single-pull.js';
import { type DecodeErrorPolicy, SpoolCharset } from './spool-charset.js';
import { type ConsumeOrder, SpoolFiles, type SpoolFilesOptions, type SpoolPosition } from './spool-files.js';
import { SpooledFile } from './spool-reader.js';
import { Waker } from './waker.js';

export type { DecodeErrorPolicy } from './spool-charset.js';
export type { ConsumeOrder } from './spool-files.js';
export { META_FILE } from './spool-files.js';

export interface SpoolDirOptions extends SpoolFilesOptions {
  fileHeaderKey?: string;
  basenameHeaderKey?: string;
  batchSize: number;
  pollDelayMs: number;
  inputCharset: string;
  decodeErrorPolicy: DecodeErrorPolicy;
  maxLineLength: number;
  /** How errors name the component (`source r1`). */
  component?: string;
}

/** First and longest pause before reading a failed batch again (Flume's spooldir backs off the same way). */
const RETRY_MS = 250;
const RETRY_MAX_MS = 4000;

/**
 * Flume NG's spooling directory source: reads every file dropped into a directory, one event per line,
 * and marks a file done (renamed with fileSuffix, deleted, or recorded in trackerDir) once all its
 * events were committed. Which file comes next and how it is marked is SpoolFiles' job; reading a file
 * and keeping its batches' acks is SpooledFile's; this class runs them and owns the retry pause.
 *
 * Acknowledgements (core/ack.ts): each batch carries an ack. The position file advances over the
 * batches acked ok, in file order; a file is marked done only once it was read to its end and every
 * batch of it was acked ok, and the next file is opened only then. A failed batch is read again from
 * its first line after a pause (250 ms doubling to 4 s, reset by the next ok), together with whatever
 * was handed out after it. A batch handed out but not acked when the process died is read again after
 * a restart: delivery is at least once, and what repeats is what was in flight (one batch with the
 * agent's runner, which acks before it pulls again).
 *
 * Files must not change once in the directory: a file whose size or modification time changed between
 * opening and completion, or whose completed name is already taken, stops this source with a
 * SluiceError (Flume's fatal IllegalStateException); the rest of the agent keeps running.
 */
export class SpoolDirSource implements EventSource {
  private readonly pull = new SinglePull();
  private readonly files: SpoolFiles;
  private readonly charset: SpoolCharset;
  private readonly reader = new ChunkReader();
  private readonly waker = new Waker();
  private readonly place: { component: string; field: string };
  private resume: SpoolPosition | undefined;
  private cur: SpooledFile | undefined;
  /** A pull is waiting for acks (end of file reached): an ack wakes it. */
  private awaitingAcks = false;
  private readonly retry = new Backoff({ initialMs: RETRY_MS, maxMs: RETRY_MAX_MS });
  private closed = false;
  private failed: SluiceError | undefined;
  private idleLogged = false;

  constructor(
    private readonly opts: SpoolDirOptions,
    private readonly log: Logger,
  ) {
    this.place = { component: opts.component ?? 'spooldir', field: 'spoolDir' };
    this.files = new SpoolFiles(opts, log, this.place);
    this.charset = new SpoolCharset(opts.inputCharset, opts.decodeErrorPolicy, opts.maxLineLength);
  }

  /** The spooling directory, absolute. */
  get dir(): string {
    return this.files.dir;
  }

  async open(): Promise<void> {
    this.resume = await this.files.open();
  }

  next(): Promise<Batch | null> {
    return this.pull.run(() =>
      this.advance().catch((e: unknown) => {
        if (this.closed) return null;
        const err = ioError(e, `spooling directory "${this.dir}"`, this.place);
        this.failed = err;
        throw err;
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waker.close();
    // A pull in progress ends at once (closed); then what was acked meanwhile is recorded, and a file
    // read to its end and wholly acked is marked done now rather than read again after a restart.
    const settle = () =>
      this.settle()
        .then(() => this.completeIfDone())
        .then(() => null);
    await this.pull.run(async () => null).catch(() => null);
    await this.pull
      .run(settle)
      .catch((e: unknown) => this.log.warn(`on close: ${ioError(e, this.dir, this.place).oneLine()}`));
    const cur = this.cur;
    this.cur = undefined;
    await cur?.close();
  }

  private async advance(): Promise<Batch | null> {
    if (this.failed) throw this.failed;
    for (;;) {
      await this.settle();
      if (this.closed) return null;
      if (this.cur === undefined && !(await this.openNext())) {
        if (!this.idleLogged)
          this.log.debug(`no file to read in ${this.dir}; polling every ${this.opts.pollDelayMs} ms`);
        this.idleLogged = true;
        await this.waker.wait(this.opts.pollDelayMs);
        continue;
      }
      this.idleLogged = false;
      const cur = this.cur!;
      await cur.fill(this.opts.batchSize);
      if (this.closed) return null;
      const batch = cur.take(this.opts.batchSize, this.onAck);
      if (batch !== undefined) return batch;
      // Everything of the file was handed out (or it is empty): done once every batch of it is safe.
      if (await this.completeIfDone()) continue;
      this.awaitingAcks = true;
      await this.waker.wait(this.opts.pollDelayMs);
      this.awaitingAcks = false;
    }
  }

  private readonly onAck = (): void => {
    if (this.awaitingAcks) this.waker.wake();
  };

  /**
   * Records the batches acked ok, in file order, in the position file; at the first failed one, reads
   * the file again from that batch after a pause.
   */
  private async settle(): Promise<void> {
    const cur = this.cur;
    if (cur === undefined) return;
    const { safe, failed } = cur.settle();
    if (safe !== undefined) {
      this.retry.reset();
      await this.files.savePosition(safe);
    }
    if (failed === undefined) return;
    const wait = this.retry.fail();
    this.log.debug(
      `batch of ${cur.path} from byte ${failed.from} failed (${failed.error.message}); reading it again in ${wait} ms`,
    );
    await this.waker.wait(wait);
  }

  /** Marks the current file done when it was read to its end and every batch of it is safe. */
  private async completeIfDone(): Promise<boolean> {
    const cur = this.cur;
    if (cur === undefined || !cur.done) return false;
    this.cur = undefined;
    await cur.close();
    await this.files.markDone(cur.path, cur.opened, cur.readPos);
    return true;
  }

  /** Opens the next file (the one the position file names first); false when there is none. */
  private async openNext(): Promise<boolean> {
    const r = this.resume;
    this.resume = undefined;
    const next = await this.files.pick(r);
    if (next === undefined) {
      this.resume = r;
      return false;
    }
    const { file, resume } = next;
    const attrs: [string, Buffer][] = [];
    if (this.opts.fileHeaderKey !== undefined) attrs.push([this.opts.fileHeaderKey, Buffer.from(file.path)]);
    if (this.opts.basenameHeaderKey !== undefined)
      attrs.push([this.opts.basenameHeaderKey, Buffer.from(basename(file.path))]);
    this.cur = await SpooledFile.open(file, resume, {
      attrs,
      charset: this.charset,
      place: this.place,
      reader: this.reader,
    });
    this.log.info(
      `reading ${file.path}${resume && resume.offset > 0 ? ` from byte ${resume.offset} (resumed)` : ''}`,
    );
    return true;
  }
}

function regex(p: ComponentProperties, key: string): RegExp {
  const src = p.string(key);
  try {
    return new RegExp(`^(?:${src})$`);
  } catch (e) {
    throw p.error(key, `${key} "${src}" is not a valid regular expression: ${(e as Error).message}`);
  }
}

export const spoolDirSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'spooldir',
  docs:
    'Flume NG spooling directory source: reads each file placed in spoolDir, one event per \\n-terminated line ' +
    '(a last line without \\n too), and marks it done once every batch of it was acked (put into the channels and ' +
    'committed): renamed with ' +
    'fileSuffix, deleted (deletePolicy = immediate) or recorded in trackerDir (trackingPolicy = tracker_dir). ' +
    'Files must be complete and unchanging once placed there: a file modified after it was read, or a completed ' +
    'name already taken, stops this source with an error (the rest of the agent runs on). A position file in ' +
    'trackerDir lets a restart resume inside a file; delivery is at least once (at most one batch repeats). A batch ' +
    'the channels refused is read again after a pause (250 ms doubling to 4 s).',
  properties: [
    { name: 'spoolDir', type: 'string', required: true, docs: 'The directory to read files from.' },
    {
      name: 'fileSuffix',
      type: 'string',
      default: '.COMPLETED',
      docs: 'Appended to the name of a file that was read completely.',
    },
    {
      name: 'deletePolicy',
      type: 'string',
      default: 'never',
      choices: ['never', 'immediate'],
      docs: 'immediate deletes a file once read instead of marking it.',
    },
    {
      name: 'fileHeader',
      type: 'bool',
      default: 'false',
      docs: 'Add a header with the absolute path of the file.',
    },
    { name: 'fileHeaderKey', type: 'string', default: 'file', docs: 'Name of that header.' },
    { name: 'basenameHeader', type: 'bool', default: 'false', docs: 'Add a header with the file name.' },
    { name: 'basenameHeaderKey', type: 'string', default: 'basename', docs: 'Name of that header.' },
    {
      name: 'batchSize',
      type: 'int',
      default: '100',
      min: 1,
      docs: 'Most events per batch put into the channels.',
    },
    {
      name: 'includePattern',
      type: 'string',
      default: '^.*$',
      docs: 'Only file names matching this regex are read.',
    },
    {
      name: 'ignorePattern',
      type: 'string',
      default: '^$',
      docs: 'File names matching this regex are skipped.',
    },
    {
      name: 'trackerDir',
      type: 'string',
      default: '.flumespool',
      docs: 'Directory of the position file (and of tracker_dir markers); relative to spoolDir unless absolute.',
    },
    {
      name: 'trackingPolicy',
      type: 'string',
      default: 'rename',
      choices: ['rename', 'tracker_dir'],
      docs: 'rename marks a done file by renaming it; tracker_dir leaves it and writes an empty <name><fileSuffix> in trackerDir.',
    },
    {
      name: 'consumeOrder',
      type: 'string',
      default: 'oldest',
      choices: ['oldest', 'youngest', 'random'],
      docs: 'Which file is read next: by modification time (ties by name), or at random.',
    },
    {
      name: 'recursiveDirectorySearch',
      type: 'bool',
      default: 'false',
      docs: 'Also read files in subdirectories.',
    },
    {
      name: 'pollDelay',
      type: 'int',
      default: '500',
      min: 1,
      docs: 'Milliseconds between looks at the directory when no file is waiting.',
    },
    {
      name: 'maxBackoff',
      type: 'int',
      default: '4000',
      min: 0,
      docs: 'Accepted for compatibility: when channels are full the agent retries the same batch itself.',
    },
    {
      name: 'inputCharset',
      type: 'string',
      default: 'UTF-8',
      docs: 'Character set of the files (bodies are written as UTF-8); ASCII-compatible sets only.',
    },
    {
      name: 'decodeErrorPolicy',
      type: 'string',
      default: 'FAIL',
      choices: ['FAIL', 'REPLACE', 'IGNORE'],
      docs: 'What an undecodable byte does: stop the source, become U+FFFD, or be dropped.',
    },
    {
      name: 'deserializer',
      type: 'string',
      default: 'LINE',
      choices: ['LINE'],
      docs: 'How files become events; only LINE (one event per line).',
    },
    {
      name: 'deserializer.maxLineLength',
      type: 'int',
      default: '2048',
      min: 1,
      docs: 'Longer lines are cut; the rest continues as the next event (in characters).',
    },
    {
      name: 'deserializer.outputCharset',
      type: 'string',
      default: 'UTF-8',
      choices: ['UTF-8'],
      docs: 'Bodies are UTF-8.',
    },
  ],
  create(p, ctx) {
    return new SpoolDirSource(
      {
        spoolDir: p.string('spoolDir'),
        fileSuffix: p.string('fileSuffix'),
        deleteImmediately: p.string('deletePolicy').toLowerCase() === 'immediate',
        ...(p.bool('fileHeader') ? { fileHeaderKey: p.string('fileHeaderKey') } : {}),
        ...(p.bool('basenameHeader') ? { basenameHeaderKey: p.string('basenameHeaderKey') } : {}),
        batchSize: p.int('batchSize'),
        includePattern: regex(p, 'includePattern'),
        ignorePattern: regex(p, 'ignorePattern'),
        trackerDir: p.string('trackerDir'),
        trackingPolicy: p.string('trackingPolicy').toLowerCase() === 'tracker_dir' ? 'tracker_dir' : 'rename',
        consumeOrder: p.string('consumeOrder').toLowerCase() as ConsumeOrder,
        recursive: p.bool('recursiveDirectorySearch'),
        pollDelayMs: p.int('pollDelay'),
        inputCharset: p.string('inputCharset'),
        decodeErrorPolicy: p.string('decodeErrorPolicy').toUpperCase() as DecodeErrorPolicy,
        maxLineLength: p.int('deserializer.maxLineLength'),
        component: p.component,
      },
      ctx.logger.child(p.component),
    );
  },
};
