import type { NgSourceDef } from '../catalog/ng.js';
import type { ComponentProperties } from '../catalog/properties.js';
import type { BuildContext } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { EventSource } from '../core/pipeline.js';
import { ExecSource } from './exec.js';
import { syslogTcpNgSource, syslogUdpNgSource } from './syslog.js';

/** The NG syslog sources live with their OG forms; named here too for the NG catalog and its tests. */
export { syslogTcpNgSource, syslogUdpNgSource };

/**
 * Flume NG type names for sources Sluice already has in OG form: the NG properties are mapped onto
 * the OG classes, so both front ends run the same code.
 */

/**
 * Hands out a source's batches in slices of at most `size` events: a channel refuses a put larger than
 * its transactionCapacity, and NG users size batchSize for that.
 */
export class Rebatch implements EventSource {
  private rest: Batch | undefined;
  private at = 0;

  constructor(
    readonly inner: EventSource,
    private readonly size: number,
  ) {}

  open(): Promise<void> {
    return this.inner.open();
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.rest !== undefined) return this.slice(this.rest);
    const r = this.inner.next();
    return r instanceof Promise
      ? r.then((b) => (b === null ? null : this.slice(b)))
      : r === null
        ? null
        : this.slice(r);
  }

  close(): Promise<void> {
    this.rest = undefined;
    return this.inner.close();
  }

  private slice(b: Batch): Batch {
    if (this.at === 0 && b.length <= this.size) return b;
    const out = b.slice(this.at, this.at + this.size);
    this.at += out.length;
    if (this.at >= b.length) {
      this.rest = undefined;
      this.at = 0;
    } else this.rest = b;
    return out;
  }
}

/** A POSIX shell word holding `s` literally (what `splitCommandLine` undoes). */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The exec command line: the command itself, or `<shell words> '<command>'` when a shell is set. */
export function execCommandLine(command: string, shell: string): string {
  return shell.trim() === '' ? command : `${shell.trim()} ${shellQuote(command)}`;
}

function createExec(p: ComponentProperties, ctx: BuildContext): EventSource {
  const cmdline = execCommandLine(p.string('command'), p.string('shell'));
  if (!ctx.allowExec) {
    throw new SluiceError(
      'SLUICE_EXEC_REFUSED',
      `${p.component}: will not run ${JSON.stringify(cmdline)}: exec sources are disabled; start the agent with --allow-exec to enable them`,
      { place: { field: 'command' } },
    );
  }
  const src = new ExecSource(
    cmdline,
    { aggregate: false, restart: p.bool('restart'), periodMs: p.int('restartThrottle') },
    ctx.logger.child(p.component),
    { component: p.component, field: 'command' },
  );
  return new Rebatch(src, p.int('batchSize'));
}

export const execNgSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'exec',
  docs:
    'Flume NG exec source: runs command and makes each line of its stdout an event (the OG exec source). ' +
    'Refused unless the agent was started with --allow-exec. Without shell the command is split into words ' +
    'and run directly; with shell (e.g. "/bin/sh -c") the command is passed to it whole, so pipes and ' +
    'variables work. With restart the command runs again restartThrottle ms after it exits.',
  properties: [
    { name: 'command', type: 'string', required: true, docs: 'The command to run.' },
    {
      name: 'shell',
      type: 'string',
      default: '',
      docs: 'A shell and its options to run the command with, e.g. "/bin/sh -c".',
    },
    { name: 'restart', type: 'bool', default: 'false', docs: 'Run the command again when it exits.' },
    {
      name: 'restartThrottle',
      type: 'int',
      default: '10000',
      min: 0,
      docs: 'Milliseconds between an exit and the next run.',
    },
    {
      name: 'logStdErr',
      type: 'bool',
      default: 'false',
      docs: 'Accepted for compatibility: stderr lines always go to the log (at warn).',
    },
    {
      name: 'batchSize',
      type: 'int',
      default: '20',
      min: 1,
      docs: 'Most events per batch put into the channels.',
    },
    {
      name: 'batchTimeout',
      type: 'int',
      default: '3000',
      min: 0,
      docs: 'Accepted for compatibility: lines are handed over as soon as they are read.',
    },
    {
      name: 'charset',
      type: 'string',
      default: 'UTF-8',
      choices: ['UTF-8'],
      docs: 'Output is taken as bytes; only UTF-8.',
    },
  ],
  create: createExec,
};

export const NG_ADAPTER_SOURCES: readonly NgSourceDef[] = [
  execNgSource,
  syslogTcpNgSource,
  syslogUdpNgSource,
];
