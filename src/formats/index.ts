import { type FormatLookup, findFormatIn } from '../catalog/format.js';
import { avrodataFormat } from './avrodata.js';
import { avrojsonFormat } from './avrojson.js';
import { debugFormat } from './debug.js';
import { headerAndTextFormat } from './header-and-text.js';
import { log4jFormat } from './log4j.js';
import { rawFormat } from './raw.js';
import { seqfileFormat } from './seqfile.js';
import { syslogFormat } from './syslog.js';
import type { FormatDef, FormatOptions, OutputFormat } from './types.js';

/**
 * Every built-in output format, in the order docs list them: catalog entries of kind `format`
 * (flow/builtins.ts lists them in the catalog, where sinks look them up and plugins add theirs).
 */
export const FORMATS: readonly FormatDef[] = [
  rawFormat,
  debugFormat,
  syslogFormat,
  log4jFormat,
  avrojsonFormat,
  avrodataFormat,
  seqfileFormat,
  headerAndTextFormat,
];

/** The other names of the built-in formats (`default` is debug, Flume NG's `TEXT` is raw). */
export const FORMAT_ALIASES: Readonly<Record<string, string>> = Object.fromEntries(
  FORMATS.flatMap((f) => (f.aliases ?? []).map((a) => [a, f.name])),
);

/** The built-in format named `name` (or an alias); a SluiceError suggesting the closest name when unknown. */
export function findFormat(name: string): FormatDef {
  return findFormatIn(FORMATS, name);
}

/**
 * The format `name` as a component sees it: in the catalog it was built from (`ctx.formats`), else
 * among the built-ins. `ignoreCase` serves agent-file serializer names (Flume NG's `text`, `TEXT`).
 */
export function formatIn(
  ctx: { formats?: FormatLookup | undefined },
  name: string,
  opts: { ignoreCase?: boolean } = {},
): FormatDef {
  return ctx.formats ? ctx.formats.format(name, opts) : findFormatIn(FORMATS, name, opts);
}

/** A new instance of built-in format `name` for one output stream. */
export function createFormat(name: string, opts: FormatOptions = {}): OutputFormat {
  return findFormat(name).create(opts);
}
