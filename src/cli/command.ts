import type { OptionSpec, ParsedArgs } from './args.js';

/**
 * One `sluice` subcommand. main parses and checks the command line against `options` and
 * `positionals` before calling `run`, so a command sees only a well-formed line.
 */
export interface Command {
  name: string;
  /** What follows `sluice NAME` in the usage line. */
  synopsis: string;
  /** A paragraph under the usage line: what the command does and when it ends. */
  description: string;
  /** The command's own options; main adds the common ones (--help, --log-level, --log-format). */
  options: OptionSpec[];
  /** How many positional arguments the command takes; more are refused. */
  positionals: { min: number; max: number };
  run(p: ParsedArgs): Promise<number>;
}
