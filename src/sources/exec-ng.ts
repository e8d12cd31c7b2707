import type { NgSourceDef } from '../catalog/ng.js';
import type { ComponentProperties } from '../catalog/properties.js';
import type { BuildContext } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { EventSource } from '../core/pipeline.js';
import { ExecSource } from './exec.js';

/** Flume NG's exec source: the OG ExecSource configured by Flume's property names. */

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
  return new ExecSource(
    cmdline,
    {
      aggregate: false,
      restart: p.bool('restart'),
      periodMs: p.int('restartThrottle'),
      maxBatch: p.int('batchSize'),
    },
    ctx.logger.child(p.component),
    { component: p.component, field: 'command' },
  );
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
