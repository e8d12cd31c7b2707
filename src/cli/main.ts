import { configureLogging, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../core/logger.js';
import { closest } from '../core/suggest.js';
import { optString, type ParsedArgs, parseArgs, UsageError } from './args.js';
import type { Command } from './command.js';
import { COMMANDS, findCommand } from './commands.js';
import { reportError, say } from './report.js';
import { commandHelp, overview, version } from './usage.js';
import { COMMON_OPTIONS } from './vocabulary.js';

/**
 * The CLI entry: checks the command line, dispatches to a command and turns errors into exit
 * statuses (0 done, 1 failure, 2 usage error, 70 a bug; docs/cli.md). User mistakes print one line
 * plus their detail (caret line, signature), never a stack trace. This is the only place that
 * decides exit codes.
 */
export async function main(argv: string[]): Promise<number> {
  // Before anything can fail, so even a usage error comes out in the format asked for.
  configureLogging(earlyLogSettings(argv));
  exitQuietlyOnClosedStdout();
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`${overview()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h') {
    process.stdout.write(`${overview()}\n`);
    return 0;
  }
  if (name === '--version') {
    process.stdout.write(`sluice ${version()}\n`);
    return 0;
  }
  const entry = findCommand(name);
  if (!entry) {
    const hint = closest(
      name,
      COMMANDS.map((c) => c.name),
      1,
    )[0];
    say(
      '',
      'error',
      `unknown ${name.startsWith('-') ? 'option' : 'command'} "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; see 'sluice help'`,
    );
    return 2;
  }
  try {
    const command = await entry.load();
    const p = parseCommandLine(command, rest);
    if (p.options.has('help')) {
      process.stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    configureLogging(logSettingsOf(p));
    for (const w of p.warnings) say(name, 'warn', w);
    return await command.run(p);
  } catch (e) {
    return reportError(name, e);
  }
}

/** The command's options and common ones, and the count of positionals, checked. */
export function parseCommandLine(command: Command, argv: readonly string[]): ParsedArgs {
  const p = parseArgs(argv, [...command.options, ...COMMON_OPTIONS]);
  if (p.options.has('help')) return p;
  const { min, max } = command.positionals;
  if (p.positionals.length > max)
    throw new UsageError(
      max === 0
        ? `unexpected argument "${p.positionals[0]}"`
        : `too many arguments (${p.positionals.length}; at most ${max}): "${p.positionals[max]}" is one too many`,
    );
  if (p.positionals.length < min)
    throw new UsageError(`missing argument: sluice ${command.name} ${command.synopsis}`);
  return p;
}

function envChoice<T extends string>(variable: string, choices: readonly T[]): T | undefined {
  const v = process.env[variable];
  if (v === undefined || v === '') return undefined;
  if (!choices.includes(v as T))
    throw new UsageError(`${variable} must be one of ${choices.join(', ')} (got "${v}")`);
  return v as T;
}

function logSettingsOf(p: ParsedArgs): { level: LogLevel; format: LogFormat } {
  return {
    level:
      (optString(p, 'log-level') as LogLevel | undefined) ??
      envChoice('SLUICE_LOG_LEVEL', LOG_LEVELS) ??
      'info',
    format:
      (optString(p, 'log-format') as LogFormat | undefined) ??
      envChoice('SLUICE_LOG_FORMAT', LOG_FORMATS) ??
      'text',
  };
}

/** --log-format from a command line not parsed yet; a bad value is left for the parser to refuse. */
function earlyLogSettings(argv: readonly string[]): { format?: LogFormat } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a === '--log-format' ? argv[i + 1] : a.startsWith('--log-format=') ? a.slice(13) : undefined;
    if (v !== undefined && LOG_FORMATS.includes(v as LogFormat)) return { format: v as LogFormat };
  }
  return {};
}

let stdoutGuarded = false;

/**
 * A reader that closed its end (`sluice dump ... | head -2`) ends the command at once with status 0,
 * as Unix tools end on SIGPIPE, which Node ignores. Any other stdout error nobody handles is a
 * failure with one line.
 */
function exitQuietlyOnClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    if (process.stdout.listenerCount('error') > 1) return;
    say('', 'error', `cannot write to stdout: ${e.message}`);
    process.exit(1);
  });
}
