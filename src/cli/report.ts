import { isSluiceError } from '../core/errors.js';
import { createLogger, logSettings } from '../core/logger.js';
import { UsageError } from './args.js';

/**
 * How the CLI speaks for itself (not for a running component): errors that end a command and
 * warnings about the command line. In text format a plain line `sluice CMD: message`, the way
 * command-line tools print errors; in JSON format a log line, so a log collector sees them too.
 */
export function say(command: string, level: 'warn' | 'error', message: string): void {
  const who = command ? `sluice ${command}` : 'sluice';
  if (logSettings().format === 'json') {
    createLogger().child(who)[level](message);
    return;
  }
  process.stderr.write(`${who}: ${level === 'warn' ? 'warning: ' : ''}${message}\n`);
}

/**
 * Prints an error that ends (part of) a command as one line, and returns its exit status:
 * 2 for a command line that cannot be understood, 1 for a failure (a user's SluiceError, with its
 * caret line or signature under it), 70 for a bug (with the stack, to report it).
 */
export function reportError(command: string, e: unknown): number {
  if (e instanceof UsageError) {
    say(command, 'error', `${e.message}; see 'sluice help${command ? ` ${command}` : ''}'`);
    return 2;
  }
  if (isSluiceError(e)) {
    const detail = e.detail ? `\n${e.detail}` : '';
    say(command, 'error', `${e.oneLine()}${detail}`);
    return 1;
  }
  say(command, 'error', `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return 70;
}
