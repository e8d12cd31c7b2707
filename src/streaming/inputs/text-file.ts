import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WakeableDelay } from '../../core/backoff.js';
import { ioError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { OutageLog } from '../../core/outage.js';
import type { Receiver, ReceiverSink } from '../receiver.js';
import { LineSplitter, storeLines } from './text-lines.js';

export interface TextFileOptions {
  /** How often the directory is listed (default 500 ms; Spark lists it once per batch). */
  pollMs?: number | undefined;
  /** Also read the files already there at start (Spark's newFilesOnly = false). Default false. */
  includeExisting?: boolean | undefined;
  logger?: Logger | undefined;
}

/**
 * `ssc.textFileStream(dir)`: watches a directory and reads each new file once, one record per line,
 * as Spark's. Files must appear whole: write them elsewhere and move (rename) them in, since a file is
 * read as it is when first seen and later changes to it are ignored. Names starting with `.` or `_`
 * (files being written, by convention) are skipped. Files there before start are skipped unless
 * `includeExisting`. The directory must exist at start.
 *
 * A file is read in chunks and each chunk's lines stored before the next is read (backpressure). The
 * receiver remembers the names it read while they stay in the directory, so memory follows the listing.
 */
export class TextFileReceiver implements Receiver<string> {
  readonly name: string;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly delay = new WakeableDelay();
  private readonly seen = new Set<string>();
  private readonly logger: Logger;
  private readonly outage: OutageLog;
  readonly stats = { files: 0, lines: 0 };

  constructor(
    readonly dir: string,
    readonly opts: TextFileOptions = {},
  ) {
    this.name = `text-file ${dir}`;
    this.logger = opts.logger ?? createLogger(undefined, this.name);
    this.outage = new OutageLog(this.logger, `directory ${dir}`, {
      down: 'unreadable',
      up: 'readable again',
      meanwhile: 'listing it again',
    });
  }

  async start(sink: ReceiverSink<string>): Promise<void> {
    if (this.running) return;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      throw ioError(e, `cannot watch ${this.dir}`, { component: this.name, file: this.dir });
    }
    if (!this.opts.includeExisting) for (const n of names) this.seen.add(n);
    this.running = true;
    this.loop = this.run(sink);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.delay.wake();
    await this.loop;
  }

  private async run(sink: ReceiverSink<string>): Promise<void> {
    const pollMs = this.opts.pollMs ?? 500;
    while (this.running) {
      try {
        await this.scan(sink);
        this.outage.recovered();
      } catch (e) {
        if (!this.running) return;
        this.outage.failed(e);
      }
      if (this.running) await this.delay.wait(pollMs);
    }
  }

  private async scan(sink: ReceiverSink<string>): Promise<void> {
    const names = await readdir(this.dir);
    const present = new Set(names);
    for (const n of this.seen) if (!present.has(n)) this.seen.delete(n);
    // Oldest name first is as good as any order the directory gives; sorting makes it repeatable.
    for (const n of names.sort()) {
      if (!this.running) return;
      if (this.seen.has(n) || n.startsWith('.') || n.startsWith('_')) continue;
      const file = join(this.dir, n);
      const s = await stat(file).catch(() => undefined);
      if (!s?.isFile()) continue;
      this.seen.add(n);
      await this.read(file, sink);
      this.stats.files++;
    }
  }

  private async read(file: string, sink: ReceiverSink<string>): Promise<void> {
    const lines = new LineSplitter();
    try {
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
        this.stats.lines += await storeLines(sink, lines.push(chunk as Buffer));
      }
    } catch (e) {
      // Gone or unreadable between the listing and the read: say so once and go on with the others.
      this.logger.warn(`cannot read ${file}: ${(e as Error).message}`);
      return;
    }
    this.stats.lines += await storeLines(sink, lines.end());
  }
}
