import type { Batch } from '../core/event.js';

/**
 * An output format turns events into bytes for text-like sinks (console, text, collector files).
 * A format instance belongs to one output stream: container formats (avrodata) keep state between
 * `header`, `encode` and `footer`.
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

export interface FormatDef {
  name: string;
  docs: string;
  /** File name suffix writers may add (`.avro`), empty for text formats. */
  extension: string;
  create(opts?: FormatOptions): OutputFormat;
}
