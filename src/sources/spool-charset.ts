import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { SluiceError } from '../core/errors.js';
import type { LineRecoder } from './lines.js';

export type DecodeErrorPolicy = 'FAIL' | 'REPLACE' | 'IGNORE';

const STREAM = { stream: true } as const;

/**
 * How spooldir turns a file's bytes into bodies (Flume's inputCharset, decodeErrorPolicy and the LINE
 * deserializer's maxLineLength): bodies are UTF-8, lines longer than maxLineLength characters are cut
 * and the rest continues as the next event. Checked once per source; each file gets its own recoder.
 */
export class SpoolCharset {
  private readonly encoding: string | undefined;

  constructor(
    private readonly inputCharset: string,
    private readonly policy: DecodeErrorPolicy,
    private readonly maxLineLength: number,
  ) {
    const cs = inputCharset.toLowerCase().replace(/_/g, '-');
    if (cs === 'utf-8' || cs === 'utf8') return;
    let decoder: TextDecoder;
    try {
      decoder = new TextDecoder(cs);
    } catch {
      throw new SluiceError('SLUICE_AGENT_CONFIG', `unknown inputCharset "${inputCharset}"`, {
        place: { field: 'inputCharset' },
      });
    }
    if (decoder.encoding.startsWith('utf-16')) {
      throw new SluiceError(
        'SLUICE_AGENT_CONFIG',
        `inputCharset ${inputCharset} is not supported (lines are split on the byte \\n)`,
        { place: { field: 'inputCharset' } },
      );
    }
    this.encoding = cs;
  }

  /**
   * The recoder for one file. `undecodable` makes the error for a line that does not decode under
   * decodeErrorPolicy FAIL, given the offset where the line starts.
   */
  recoder(undecodable: (lineStart: number, charset: string) => SluiceError): LineRecoder {
    return new SpoolRecoder(this.encoding, this.inputCharset, this.policy, this.maxLineLength, undecodable);
  }
}

/**
 * Valid UTF-8 lines of at most maxLineLength bytes pass as they are (UTF-8 needs at least one byte per
 * character, so they are never cut); any other line is decoded, with a streaming decoder so a line
 * handed over in parts is cut at the same characters as a whole one.
 */
class SpoolRecoder implements LineRecoder {
  readonly passMax: number;
  private readonly decoder: TextDecoder;
  private readonly utf8: boolean;
  /** Decoded characters of the line in progress not cut into a body yet. */
  private text = '';

  constructor(
    encoding: string | undefined,
    private readonly charset: string,
    private readonly policy: DecodeErrorPolicy,
    private readonly max: number,
    private readonly undecodable: (lineStart: number, charset: string) => SluiceError,
  ) {
    this.passMax = max;
    this.utf8 = encoding === undefined;
    const fatal = policy === 'FAIL';
    // A UTF-8 byte order mark is a character of the file like any other (valid lines keep it too).
    this.decoder = new TextDecoder(encoding ?? 'utf-8', { fatal, ignoreBOM: this.utf8 });
  }

  passes(chunk: Buffer, start: number, end: number): boolean {
    return this.utf8 && isUtf8(chunk.subarray(start, end));
  }

  recode(bytes: Buffer, last: boolean, lineStart: number): readonly Buffer[] {
    let t: string;
    try {
      t = last ? this.decoder.decode(bytes) : this.decoder.decode(bytes, STREAM);
    } catch {
      throw this.undecodable(lineStart, this.charset);
    }
    // IGNORE drops what REPLACE would have replaced (a U+FFFD already in the input goes too).
    if (this.policy === 'IGNORE') t = t.replace(/\uFFFD/g, '');
    const text = this.text.length > 0 ? this.text + t : t;
    const out: Buffer[] = [];
    const max = this.max;
    let i = 0;
    // Keeps at least one character back until the line ends: a line of exactly max characters is one body.
    for (; text.length - i > max; i += max) out.push(Buffer.from(text.slice(i, i + max)));
    const rest = i > 0 ? text.slice(i) : text;
    if (last) {
      out.push(Buffer.from(rest));
      this.text = '';
    } else this.text = rest;
    return out;
  }

  reset(): void {
    this.text = '';
    try {
      this.decoder.decode();
    } catch {
      // The unfinished character of the abandoned line is dropped with it.
    }
  }
}
