import type { Writable } from 'node:stream';
import type { SinkDef } from '../catalog/types.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import type { OutputFormat } from '../formats/types.js';
import { sinkFormat } from './outputFormat.js';

/**
 * Writes each batch, formatted, to stdout (or another stream) in one write. When the stream's buffer
 * is full the append waits for 'drain': a slow terminal or pipe slows the flow instead of filling
 * memory. A broken pipe becomes an error of the next append instead of crashing the process.
 */
export class ConsoleSink implements EventSink {
  private failure: Error | undefined;
  private readonly onError = (e: Error) => {
    this.failure ??= e;
  };
  private listening = false;

  constructor(
    private readonly format: OutputFormat,
    private readonly out: Writable = process.stdout,
  ) {}

  open(): Promise<void> {
    if (!this.listening) {
      this.out.on('error', this.onError);
      this.listening = true;
    }
    return this.write(this.format.header()) ?? Promise.resolve();
  }

  append(batch: Batch): void | Promise<void> {
    if (!this.listening) throw new SluiceError('SLUICE_CLOSED', 'console: append while not open');
    return this.write(this.format.encode(batch));
  }

  async close(): Promise<void> {
    if (!this.listening) return;
    try {
      const footer = this.format.footer();
      if (this.failure) throw this.fail(this.failure);
      // Resolve once everything written so far has left the stream's buffer (writes complete in order).
      if (footer.length > 0 || this.out.writableLength > 0) {
        await new Promise<void>((resolve, reject) =>
          this.out.write(footer, (e) => (e ? reject(this.fail(e)) : resolve())),
        );
      }
    } finally {
      this.out.off('error', this.onError);
      this.listening = false;
    }
  }

  private fail(e: Error): SluiceError {
    return ioError(e, 'cannot write to stdout', { component: 'console' });
  }

  private write(buf: Buffer): void | Promise<void> {
    if (this.failure) throw this.fail(this.failure);
    if (buf.length === 0) return;
    if (this.out.write(buf)) return;
    return new Promise<void>((resolve, reject) => {
      const done = (e?: Error) => {
        this.out.off('drain', done);
        this.out.off('error', done);
        if (e) reject(this.fail(e));
        else resolve();
      };
      this.out.on('drain', done);
      this.out.on('error', done);
    });
  }
}

export const consoleSink: SinkDef = {
  kind: 'sink',
  name: 'console',
  docs: "Console sink: writes events to the process's stdout using the given output format.",
  params: [
    {
      name: 'format',
      type: 'string',
      optional: true,
      default: 'debug',
      docs: 'Output format (raw, debug, syslog, log4j, avrojson ...).',
    },
  ],
  build: (args, ctx) =>
    new ConsoleSink(sinkFormat(args.component, 'format', args.optString('format') ?? 'debug', ctx)),
};
