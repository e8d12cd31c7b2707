import { SluiceError } from '../core/errors.js';

/**
 * A small getopt: `--name value`, `--name=value`, `-x value`, boolean flags, and positionals.
 * Unknown options are an error naming the option and the command.
 */
export interface OptionSpec {
  /** Long name without dashes, e.g. "conf". */
  name: string;
  short?: string;
  /** Boolean flags take no value. */
  flag?: boolean;
  help: string;
}

export interface ParsedArgs {
  options: Map<string, string | true>;
  positionals: string[];
}

export function parseArgs(command: string, argv: string[], specs: OptionSpec[]): ParsedArgs {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const isOption =
      a.startsWith('-') && a.length > 1 && (!/^-\d/.test(a) || specs.some((s) => `-${s.short}` === a));
    if (isOption) {
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(0, eq) : a;
      const spec = specs.find((s) => (key.startsWith('--') ? `--${s.name}` === key : `-${s.short}` === key));
      if (!spec) {
        const known = specs.map((s) => `--${s.name}${s.short ? `/-${s.short}` : ''}`).join(', ');
        throw new SluiceError(
          'SLUICE_CONFIG',
          `sluice ${command}: unknown option ${key} (known: ${known || 'none'})`,
        );
      }
      if (spec.flag) {
        options.set(spec.name, true);
      } else if (eq > 0) {
        options.set(spec.name, a.slice(eq + 1));
      } else {
        const v = argv[++i];
        if (v === undefined)
          throw new SluiceError('SLUICE_CONFIG', `sluice ${command}: option ${key} needs a value`);
        options.set(spec.name, v);
      }
    } else {
      positionals.push(a);
    }
  }
  return { options, positionals };
}

export function optString(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function usage(command: string, synopsis: string, specs: OptionSpec[]): string {
  const lines = [`usage: sluice ${command} ${synopsis}`];
  for (const s of specs) {
    const left = `  ${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.flag ? '' : ' VALUE'}`;
    lines.push(`${left.padEnd(30)} ${s.help}`);
  }
  return lines.join('\n');
}
