import { closest } from '../core/suggest.js';

/**
 * A small getopt: `--name value`, `--name=value`, `-x value`, boolean flags, repeatable options,
 * and positionals. Everything wrong with a command line is a UsageError (exit status 2), found
 * before the command loads anything heavy or opens anything.
 */
export interface OptionSpec {
  /** Long name without dashes, e.g. "conf". */
  name: string;
  short?: string;
  /** Boolean flags take no value. */
  flag?: boolean;
  /** What the value is, as help shows it (FILE, DIR, SPEC); VALUE when not given. */
  value?: string;
  /** The values the option accepts; help lists them and any other value is refused. */
  choices?: readonly string[];
  /** The value must be a positive integer. */
  positiveInt?: boolean;
  /** Each use adds a value (a list) instead of replacing the previous one. */
  repeatable?: boolean;
  /** Other spellings with their dashes that mean the same (Flume's `--conf-file`). */
  aliases?: readonly string[];
  /** Old spellings that still work but print a warning naming the one to use. */
  deprecated?: readonly string[];
  /** The default, as help shows it. */
  default?: string;
  help: string;
}

/** A command line that cannot be understood: the exit status is 2 and nothing has run. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ParsedArgs {
  options: Map<string, string | true | string[]>;
  positionals: string[];
  /** Deprecated spellings used, one line each, for the caller to print. */
  warnings: string[];
}

function spellings(s: OptionSpec): string[] {
  return [`--${s.name}`, ...(s.short ? [`-${s.short}`] : []), ...(s.aliases ?? []), ...(s.deprecated ?? [])];
}

function preferred(s: OptionSpec): string {
  return s.short ? `-${s.short}/--${s.name}` : `--${s.name}`;
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const options = new Map<string, string | true | string[]>();
  const positionals: string[] = [];
  const warnings: string[] = [];
  const bySpelling = new Map<string, OptionSpec>();
  for (const s of specs) for (const sp of spellings(s)) bySpelling.set(sp, s);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    // A lone "-" and negative numbers are values, unless a short option is spelled that way (`-1`).
    const isOption = a.startsWith('-') && a.length > 1 && (!/^-\d/.test(a) || bySpelling.has(a));
    if (!isOption) {
      positionals.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const key = eq > 0 ? a.slice(0, eq) : a;
    const spec = bySpelling.get(key);
    if (!spec) {
      // One letter is one edit away from every other: only long spellings get a suggestion.
      const hint = key.startsWith('--') ? closest(key, bySpelling.keys(), 1)[0] : undefined;
      throw new UsageError(`unknown option ${key}${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
    if (spec.deprecated?.includes(key))
      warnings.push(`${key} is deprecated; use ${preferred(spec)} (same meaning)`);
    if (spec.flag) {
      if (eq > 0) throw new UsageError(`option ${key} takes no value`);
      options.set(spec.name, true);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = a.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw new UsageError(`option ${key} needs ${spec.value ?? 'a value'}`);
    checkValue(key, spec, value);
    if (spec.repeatable) {
      const prior = options.get(spec.name);
      options.set(spec.name, [...(Array.isArray(prior) ? prior : []), value]);
    } else {
      options.set(spec.name, value);
    }
  }
  return { options, positionals, warnings };
}

function checkValue(key: string, spec: OptionSpec, value: string): void {
  if (spec.choices && !spec.choices.includes(value)) {
    const hint = closest(value, spec.choices, 1)[0];
    throw new UsageError(
      `${key} must be one of ${spec.choices.join(', ')} (got "${value}"${hint ? `; did you mean "${hint}"?` : ''})`,
    );
  }
  if (spec.positiveInt && !/^[1-9]\d*$/.test(value))
    throw new UsageError(`${key} must be a positive integer (got "${value}")`);
}

export function optString(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable option, in command-line order. */
export function optList(p: ParsedArgs, name: string): string[] {
  const v = p.options.get(name);
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** The option lines of a command's help: spellings, value, what it does, accepted values, default. */
export function renderOptions(specs: readonly OptionSpec[]): string[] {
  const lines: string[] = [];
  for (const s of specs) {
    const names = [...(s.short ? [`-${s.short}`] : []), `--${s.name}`, ...(s.aliases ?? [])].join(', ');
    const left = `  ${s.short ? '' : '    '}${names}${s.flag ? '' : ` ${s.value ?? 'VALUE'}`}`;
    const extra = [
      s.choices ? `one of: ${s.choices.join(', ')}` : '',
      s.default !== undefined ? `default: ${s.default}` : '',
      s.deprecated ? `deprecated: ${s.deprecated.join(', ')}` : '',
    ].filter(Boolean);
    const text = wrap(`${s.help}${extra.length > 0 ? ` (${extra.join('; ')})` : ''}`, HELP_WIDTH - 31);
    const first = left.length >= 30 ? [left, ''] : [left.padEnd(30)];
    first[first.length - 1] = `${first.at(-1)!.padEnd(30)} ${text[0]}`;
    lines.push(...first, ...text.slice(1).map((t) => `${' '.repeat(31)}${t}`));
  }
  return lines;
}

const HELP_WIDTH = 100;

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out;
}
