import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { BoundArgs, BuildContext, SourceDef } from '../catalog/types.js';
import type { Place } from '../core/errors.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import { Event, limits, localHost, nowNanos } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { Priority } from '../core/priority.js';
import { EventQueue, LineSplitter, MAX_BATCH } from './lines.js';
import { StreamChunks } from './readable.js';
import { Waker } from './waker.js';

/** Attributes Flume OG's exec source stamps on its events (ExecNioSource and Event.A_SERVICE). */
export const A_PROC_SOURCE = 'procsource';
export const A_EXEC_CMD = 'execcmd';
export const A_SERVICE = 'service';

/** How long close() lets a program end after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 1000;

/**
 * Splits a command line into argv the way a POSIX shell splits words, without running a shell (no
 * pipes, redirections, globs or variables): whitespace separates words; '...' is literal; inside
 * "..." a backslash escapes only " and \; outside quotes a backslash escapes the next character.
 */
export function splitCommandLine(cmdline: string, place: Place): string[] {
  const bad = (why: string) =>
    new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `cmdline ${JSON.stringify(cmdline)}: ${why}`, { place });
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < cmdline.length; i++) {
    const c = cmdline[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
    } else if (c === "'") {
      const end = cmdline.indexOf("'", i + 1);
      if (end < 0) throw bad('unterminated single quote');
      word += cmdline.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      inWord = true;
      for (i++; ; i++) {
        if (i >= cmdline.length) throw bad('unterminated double quote');
        const d = cmdline[i]!;
        if (d === '"') break;
        if (d === '\\' && (cmdline[i + 1] === '"' || cmdline[i + 1] === '\\')) word += cmdline[++i];
        else word += d;
      }
    } else if (c === '\\') {
      if (i + 1 >= cmdline.length) throw bad('ends with a lone backslash');
      word += cmdline[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) argv.push(word);
  if (argv.length === 0) throw bad('no program to run');
  return argv;
}

export interface ExecOptions {
  /** The whole output of one run is one event (else one event per line). */
  aggregate: boolean;
  /** Run the program again after it exits. */
  restart: boolean;
  /** Milliseconds to wait between an exit and the next run. */
  periodMs: number;
  /** Most events per batch (default MAX_BATCH): an agent's channel refuses puts above its transactionCapacity. */
  maxBatch?: number | undefined;
}

interface Run {
  child: ChildProcess;
  chunks: StreamChunks;
  exited: Promise<void>;
}

/**
 * Runs a program (no shell) and turns its stdout into events: one per line, or one per run in
 * aggregate mode. stderr goes to the log, a line at a time. Restarting runs again `periodMs` after
 * each exit and is never drained; otherwise the source is drained when the program's stdout ends.
 */
export class ExecSource implements EventSource {
  private readonly argv: string[];
  private readonly queue = new EventQueue();
  private readonly splitter: LineSplitter;
  private readonly attrs: [string, Buffer][];
  private readonly waker = new Waker();
  private run: Run | undefined;
  private runs = 0;
  private aggregated: Buffer[] = [];
  private aggregatedBytes = 0;
  private finished = false;
  private closed = false;

  constructor(
    readonly cmdline: string,
    private readonly opts: ExecOptions,
    private readonly log: Logger,
    private readonly place: Place = { component: 'exec', field: 'cmdline' },
  ) {
    this.argv = splitCommandLine(cmdline, place);
    this.attrs = [
      [A_PROC_SOURCE, Buffer.from('STDOUT')],
      [A_EXEC_CMD, Buffer.from(cmdline)],
      [A_SERVICE, Buffer.from('exec')],
    ];
    this.splitter = new LineSplitter({ attrs: this.attrs });
  }

  /** Starts the first run; a program that cannot start fails here. */
  async open(): Promise<void> {
    await this.start();
  }

  next(): Batch | null | Promise<Batch | null> {
    const b = this.queue.take(this.opts.maxBatch ?? MAX_BATCH);
    if (b !== null) return b;
    if (this.closed || (this.finished && this.run === undefined)) return null;
    return this.advance();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waker.close();
    this.queue.clear();
    const run = this.run;
    this.run = undefined;
    if (run === undefined) return;
    run.chunks.release();
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      const t = setTimeout(() => run.child.kill('SIGKILL'), KILL_GRACE_MS);
      await run.exited;
      clearTimeout(t);
    }
  }

  private async advance(): Promise<Batch | null> {
    for (;;) {
      if (this.closed) return null;
      let run = this.run;
      if (run === undefined) {
        if (this.finished) return null;
        await this.waker.wait(this.opts.periodMs);
        if (this.closed) return null;
        await this.start();
        if (this.run === undefined) return null;
        run = this.run;
      }
      const r = run.chunks.read();
      const chunk = r instanceof Promise ? await r : r;
      if (this.closed) return null;
      if (chunk !== null) {
        if (this.opts.aggregate) this.keep(chunk);
        else this.splitter.push(chunk, this.queue.items);
      } else {
        await this.endRun(run);
      }
      const b = this.queue.take(this.opts.maxBatch ?? MAX_BATCH);
      if (b !== null) return b;
    }
  }

  private async start(): Promise<void> {
    const [program, ...args] = this.argv as [string, ...string[]];
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // 'exit', not 'close': a grandchild that inherited the pipes must not keep close() waiting.
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (signal !== null && !this.closed) this.log.warn(`"${this.cmdline}" was killed by ${signal}`);
        else if (code !== 0 && code !== null) this.log.warn(`"${this.cmdline}" exited with code ${code}`);
        resolve();
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (e) {
      throw ioError(e, `cannot start "${program}"`, this.place);
    }
    if (this.closed) {
      // close() ran while the program was starting: it has nobody to read it.
      child.kill('SIGTERM');
      return;
    }
    this.runs++;
    child.on('error', (e) => this.log.warn(`"${program}": ${e.message}`));
    this.logStderr(child);
    this.run = { child, chunks: new StreamChunks(child.stdout!), exited };
  }

  /** stdout ended: the run's last event, its exit, and whether another run follows. */
  private async endRun(run: Run): Promise<void> {
    if (this.opts.aggregate) {
      if (this.aggregatedBytes > 0) {
        const body = Buffer.concat(this.aggregated, this.aggregatedBytes);
        this.queue.items.push(
          new Event(body, Date.now(), Priority.INFO, nowNanos(), localHost(), new Map(this.attrs)),
        );
      }
      this.aggregated = [];
      this.aggregatedBytes = 0;
    } else {
      this.splitter.flush(this.queue.items);
    }
    run.chunks.release();
    await run.exited;
    this.run = undefined;
    if (!this.opts.restart) this.finished = true;
  }

  /** Aggregate mode keeps at most one byte more than an event can hold, so Event truncates and counts. */
  private keep(chunk: Buffer): void {
    const room = limits.maxBodySize + 1 - this.aggregatedBytes;
    if (room <= 0) return;
    const c = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.aggregated.push(c);
    this.aggregatedBytes += c.length;
  }

  private logStderr(child: ChildProcess): void {
    let partial = '';
    const stderr = child.stderr!;
    stderr.setEncoding('utf8');
    stderr.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) this.log.warn(`stderr: ${l}`);
    });
    stderr.on('end', () => {
      if (partial !== '') this.log.warn(`stderr: ${partial}`);
      partial = '';
    });
  }

  /** How many times the program was started (tests, node reports). */
  get runCount(): number {
    return this.runs;
  }
}

function refuseUnlessAllowed(component: string, cmdline: string, ctx: BuildContext): void {
  if (ctx.allowExec) return;
  throw new SluiceError(
    'SLUICE_EXEC_REFUSED',
    `will not run ${JSON.stringify(cmdline)}: exec sources are disabled; start the node with --allow-exec to enable them`,
    { place: { component, field: 'cmdline' } },
  );
}

function nonNegative(component: string, field: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${field} must be a non-negative integer, got ${v}`, {
      place: { component, field },
    });
  }
  return v;
}

function build(component: string, args: BoundArgs, ctx: BuildContext, opts: ExecOptions): ExecSource {
  const cmdline = args.string('cmdline');
  refuseUnlessAllowed(component, cmdline, ctx);
  return new ExecSource(cmdline, opts, ctx.logger.child(component), { component, field: 'cmdline' });
}

const CMDLINE_DOCS =
  'The program and its arguments, split like shell words (quotes and backslashes honoured) but run ' +
  'without a shell: no pipes, redirection or variables; for those, write a script and run it.';

const COMMON =
  'Runs only on a node started with --allow-exec. The program runs without a shell; its stderr goes ' +
  'to the log. Events carry the attributes procsource=STDOUT, execcmd (the cmdline) and service=exec. ' +
  'A program that cannot start is an error when the source opens (or when a restart runs it).';

export const execSource: SourceDef = {
  kind: 'source',
  name: 'exec',
  docs:
    'Runs a program and turns its output into events: one per \\n-terminated line, or, with aggregate, ' +
    'the whole output of a run as one event (truncated to flume.event.max.size.bytes; a run without ' +
    'output makes no event). With restart, the program runs again period ms after it exits and the ' +
    'source never drains; without, the source is drained when the program ends. ' +
    'execStream("foo") is exec("foo", false, false, 0); execPeriodic("foo", 1000) is exec("foo", true, true, 1000). ' +
    COMMON,
  params: [
    { name: 'cmdline', type: 'string', docs: CMDLINE_DOCS },
    {
      name: 'aggregate',
      type: 'bool',
      optional: true,
      default: false,
      docs: 'The whole output of a run is one event.',
    },
    {
      name: 'restart',
      type: 'bool',
      optional: true,
      default: false,
      docs: 'Run the program again after it exits.',
    },
    {
      name: 'period',
      type: 'int',
      optional: true,
      default: 0,
      docs: 'Milliseconds between an exit and the next run (with restart).',
    },
  ],
  build: (args, ctx) =>
    build('exec', args, ctx, {
      aggregate: args.optBool('aggregate') ?? false,
      restart: args.optBool('restart') ?? false,
      periodMs: nonNegative('exec', 'period', args.optInt('period') ?? 0),
    }),
};

export const execStreamSource: SourceDef = {
  kind: 'source',
  name: 'execStream',
  docs:
    'Runs a (long-lived) program once; each line it writes to stdout becomes an event. Drained when ' +
    `the program ends. Same as exec(cmdline, false, false, 0). ${COMMON}`,
  params: [{ name: 'cmdline', type: 'string', docs: CMDLINE_DOCS }],
  build: (args, ctx) => build('execStream', args, ctx, { aggregate: false, restart: false, periodMs: 0 }),
};

export const execPeriodicSource: SourceDef = {
  kind: 'source',
  name: 'execPeriodic',
  docs:
    'Runs a (short-lived) program, makes its entire output one event, waits ms milliseconds after it ' +
    `exits and runs it again; never drained. Same as exec(cmdline, true, true, ms). ${COMMON}`,
  params: [
    { name: 'cmdline', type: 'string', docs: CMDLINE_DOCS },
    { name: 'ms', type: 'int', docs: 'Milliseconds to wait after a run ends before the next one.' },
  ],
  build: (args, ctx) =>
    build('execPeriodic', args, ctx, {
      aggregate: true,
      restart: true,
      periodMs: nonNegative('execPeriodic', 'ms', args.int('ms')),
    }),
};
