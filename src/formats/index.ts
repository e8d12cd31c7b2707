import { SluiceError } from '../core/errors.js';
import { closest } from '../core/suggest.js';
import { avrodataFormat } from './avrodata.js';
import { avrojsonFormat } from './avrojson.js';
import { debugFormat } from './debug.js';
import { log4jFormat } from './log4j.js';
import { rawFormat } from './raw.js';
import { seqfileFormat } from './seqfile.js';
import { syslogFormat } from './syslog.js';
import type { FormatDef, FormatOptions, OutputFormat } from './types.js';

/** Every output format, in the order docs list them. */
export const FORMATS: readonly FormatDef[] = [
  rawFormat,
  debugFormat,
  syslogFormat,
  log4jFormat,
  avrojsonFormat,
  avrodataFormat,
  seqfileFormat,
];

/** Other names users may write: the seed calls the debugging format `default`. */
export const FORMAT_ALIASES: Readonly<Record<string, string>> = { default: 'debug' };

/** The format named `name` (or an alias); a SluiceError suggesting the closest name when unknown. */
export function findFormat(name: string): FormatDef {
  const wanted = FORMAT_ALIASES[name] ?? name;
  const def = FORMATS.find((f) => f.name === wanted);
  if (def) return def;
  const names = [...FORMATS.map((f) => f.name), ...Object.keys(FORMAT_ALIASES)];
  const hint = closest(name, names, 1)[0];
  throw new SluiceError(
    'SLUICE_SPEC_BAD_ARGUMENT',
    `unknown output format "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; known formats: ${names.join(', ')}`,
    { place: { field: 'format' } },
  );
}

/** A new instance of format `name` for one output stream. */
export function createFormat(name: string, opts: FormatOptions = {}): OutputFormat {
  return findFormat(name).create(opts);
}
