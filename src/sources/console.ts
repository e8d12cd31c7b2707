import type { Readable } from 'node:stream';
import type { SourceDef } from '../catalog/types.js';
import type { Batch } from '../core/event.js';
import type { EventSource } from '../core/pipeline.js';
import { EventQueue, LineSplitter, MAX_BATCH } from './lines.js';
import { StreamChunks } from './readable.js';

/**
 * One event per line of a readable stream (stdin by default). Drained when the stream ends (a last
 * line without '\n' is an event too); a terminal's stdin ends on ^D. Closing detaches from the
 * stream without destroying it: stdin belongs to the process.
 */
export class ConsoleSource implements EventSource {
  private chunks: StreamChunks | undefined;
  private readonly queue = new EventQueue();
  private readonly splitter = new LineSplitter();
  private ended = false;
  private closed = false;

  constructor(private readonly input: Readable = process.stdin) {}

  open(): Promise<void> {
    this.chunks = new StreamChunks(this.input);
    return Promise.resolve();
  }

  next(): Batch | null | Promise<Batch | null> {
    const b = this.queue.take(MAX_BATCH);
    if (b !== null) return b;
    if (this.ended || this.closed || !this.chunks) return null;
    const c = this.chunks.read();
    return c instanceof Promise ? c.then((chunk) => this.accept(chunk)) : this.accept(c);
  }

  close(): Promise<void> {
    this.closed = true;
    this.queue.clear();
    this.chunks?.release();
    return Promise.resolve();
  }

  /** Takes a chunk (or the end) and returns a batch if one is complete, else null. */
  private accept(chunk: Buffer | null): Batch | null | Promise<Batch | null> {
    if (this.closed) return null;
    if (chunk === null) {
      this.ended = true;
      this.splitter.flush(this.queue.items);
      return this.queue.take(MAX_BATCH);
    }
    this.splitter.push(chunk, this.queue.items);
    // A chunk without a newline completes no event: keep reading.
    return this.queue.size > 0 ? this.queue.take(MAX_BATCH) : this.next();
  }
}

export const consoleSource: SourceDef = {
  kind: 'source',
  name: 'console',
  docs:
    'Stdin console: one event per \\n-terminated line typed or piped into the node (without the \\n). ' +
    'The source is drained when stdin ends (^D on a terminal, end of a pipe); a last line without \\n is ' +
    'an event too.',
  params: [],
  build: () => new ConsoleSource(),
};
