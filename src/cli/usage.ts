import { readFileSync } from 'node:fs';
import { renderOptions } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands.js';
import { COMMON_OPTIONS } from './vocabulary.js';

export const EXIT_CODES = [
  'exit status: 0 done; 1 a failure (a bad spec or agent file, a file that cannot be read, a node that',
  'failed); 2 a usage error (the command line itself is wrong, nothing ran).',
].join('\n');

/** `sluice help`: every command with its one-line summary. */
export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: sluice <command> [options]',
    '       sluice --version',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `sluice help <command>` or `sluice <command> --help` for a command's options.",
    'Every command takes --log-level LEVEL and --log-format text|json.',
    EXIT_CODES,
  ].join('\n');
}

/** `sluice help CMD` and `sluice CMD --help`. */
export function commandHelp(c: Command): string {
  return [
    `usage: sluice ${c.name} ${c.synopsis}`,
    '',
    c.description,
    '',
    ...(c.options.length > 0 ? ['options:', ...renderOptions(c.options), ''] : []),
    'common options:',
    ...renderOptions(COMMON_OPTIONS),
    '',
    EXIT_CODES,
  ].join('\n');
}

/** The package version, read from package.json beside src/ (or dist/, which sits at the same depth). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
