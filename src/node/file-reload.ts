import { readFile } from 'node:fs/promises';
import { asSluiceError, ioError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ConfigChanges } from '../flow/report.js';
import { describeChanges, type PipelineHost } from './host.js';

/** The reason of a reload found by polling: applied only when the text differs from the last one. */
const CHANGED = 'file changed';

/** Flume NG's default: the agent file is checked for changes every 30 s. */
export const DEFAULT_RELOAD_INTERVAL_S = 30;

export interface FileReloaderOptions {
  /** How often the file is read to see whether it changed; 0 turns polling off (SIGHUP still works). */
  intervalMs: number;
  logger: Logger;
  /** The text the host was started with, so the first poll does not reload it again. */
  initial: string;
}

/**
 * Keeps a host on the configuration in its file: polls the file (its text, so an edit within the same
 * second as the last one is seen too) and reloads it on demand (SIGHUP). A new text is applied with
 * `host.reconfigure`; a text the host refuses is logged with its file:line error and the running
 * configuration stays. A refused text is not tried again by polling until the file changes again.
 *
 * Reloads run one at a time, and at most one waits behind the one running: ticks and signals that
 * arrive during a slow reload join the waiting one (which reads the file when its turn comes, so it
 * sees the latest text), instead of queueing one reload each.
 */
export class FileReloader {
  private timer: NodeJS.Timeout | undefined;
  /** The text last applied or refused. */
  private seen: string;
  /** The reload being applied. */
  private running: Promise<ConfigChanges | undefined> | undefined;
  /** The one reload waiting for `running`; later requests join it. */
  private waiting: { reason: string; done: Promise<ConfigChanges | undefined> } | undefined;

  constructor(
    readonly file: string,
    private readonly host: PipelineHost,
    private readonly opts: FileReloaderOptions,
  ) {
    this.seen = opts.initial;
  }

  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.reload(CHANGED), this.opts.intervalMs);
    // The reloader alone keeps nothing alive: a node whose finite sources drained may exit.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Reads the file and applies it: when asked (`signal`, e.g. SIGHUP) always, when polled only if the
   * text changed. Resolves with what changed, or undefined when nothing was applied; never rejects.
   */
  reload(reason: string): Promise<ConfigChanges | undefined> {
    const waiting = this.waiting;
    if (waiting) {
      // An explicit request makes the waiting reload apply even an unchanged text.
      if (reason !== CHANGED) waiting.reason = reason;
      return waiting.done;
    }
    const running = this.running;
    if (!running) return this.begin(reason);
    const next = { reason, done: Promise.resolve<ConfigChanges | undefined>(undefined) };
    next.done = running.then(() => {
      this.waiting = undefined;
      return this.begin(next.reason);
    });
    this.waiting = next;
    return next.done;
  }

  private begin(reason: string): Promise<ConfigChanges | undefined> {
    const run = this.apply(reason).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async apply(reason: string): Promise<ConfigChanges | undefined> {
    const { logger } = this.opts;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if (reason === CHANGED) return undefined;
      logger.error(
        `${reason}: ${ioError(e, `cannot read ${this.file}`).oneLine()}; the running configuration stays`,
      );
      return undefined;
    }
    if (reason === CHANGED && text === this.seen) return undefined;
    this.seen = text;
    try {
      const changes = await this.host.reconfigure({ text, file: this.file });
      logger.info(`${this.file} reloaded (${reason}): ${describeChanges(changes)}`);
      return changes;
    } catch (e) {
      logger.error(
        `${this.file} refused (${reason}): ${asSluiceError(e).oneLine()}; running version ${this.host.version}`,
      );
      return undefined;
    }
  }
}
