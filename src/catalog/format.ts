import { SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import { closest } from '../core/suggest.js';

/**
 * An output format turns events into bytes for text-like sinks (console, text, collector files,
 * file_roll and hdfs serializers). A format instance belongs to one output stream: container formats
 * (avrodata) keep state between `header`, `encode` and `footer`.
 */
export interface OutputFormat {
  readonly name: string;
  /** Bytes that open a new file or stream (an Avro container header); empty for line formats. */
  header(): Buffer;
  /** The bytes of a whole batch: one allocation per batch, not per event. */
  encode(batch: Batch): Buffer;
  /** Bytes that end a file or stream (flushes a container's last block); often empty. */
  footer(): Buffer;
}

export interface FormatOptions {
  /** IANA zone of dates written as text (site property sluice.time.zone); UTC when absent. */
  timeZone?: string;
}

/**
 * A catalog entry of kind `format`: what a sink's format argument (`text("f", "avrojson")`) or an
 * agent file's serializer property (`sink.serializer = HEADER_AND_TEXT`) names.
 */
export interface FormatDef {
  kind: 'format';
  name: string;
  /** Other names users may write (Flume NG's serializer names, the seed's `default`). */
  aliases?: string[];
  docs: string;
  /** File name suffix writers may add (`.avro`), empty for text formats. */
  extension: string;
  create(opts?: FormatOptions): OutputFormat;
}

/** What a component builder looks formats up in: the catalog it was found in. */
export interface FormatLookup {
  format(name: string, opts?: { ignoreCase?: boolean }): FormatDef;
}

/**
 * The format named `name` (or an alias) among `defs`: exact for a spec, without case for an agent
 * file's serializer names; a SLUICE_SPEC_BAD_ARGUMENT suggesting the closest name when unknown.
 */
export function findFormatIn(
  defs: readonly FormatDef[],
  name: string,
  opts: { ignoreCase?: boolean } = {},
): FormatDef {
  const same = opts.ignoreCase
    ? (n: string) => n.toLowerCase() === name.toLowerCase()
    : (n: string) => n === name;
  const def = defs.find((f) => same(f.name)) ?? defs.find((f) => f.aliases?.some(same));
  if (def) return def;
  const names = [...defs.map((f) => f.name), ...defs.flatMap((f) => f.aliases ?? [])];
  const hint = closest(name, names, 1)[0];
  throw new SluiceError(
    'SLUICE_SPEC_BAD_ARGUMENT',
    `unknown output format "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; known formats: ${names.join(', ')}`,
    { place: { field: 'format' } },
  );
}
