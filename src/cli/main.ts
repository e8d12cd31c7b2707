import { isSluiceError } from '../core/errors.js';
import { COMMANDS } from './commands.js';

/**
 * The CLI entry: dispatches to a command and turns errors into exit statuses. User mistakes
 * (SluiceError) print one line plus their detail (caret line, signature), never a stack trace.
 * This is the only place that decides exit codes.
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || (name === 'help' && rest.length === 0) || name === '--help' || name === '-h') {
    process.stdout.write(`${helpText()}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`sluice: unknown command "${name}"\n${helpText()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (isSluiceError(e)) {
      process.stderr.write(`sluice ${name}: ${e.oneLine()}\n`);
      if (e.detail) process.stderr.write(`${e.detail}\n`);
      return 1;
    }
    process.stderr.write(
      `sluice ${name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 70;
  }
}

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: sluice <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `sluice <command> --help` for a command's options.",
  ].join('\n');
}
