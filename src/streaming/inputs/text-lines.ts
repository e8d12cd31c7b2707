import { StringDecoder } from 'node:string_decoder';
import type { ReceiverSink } from '../receiver.js';

/** Longest line kept whole; a longer one is cut here and the rest continues as the next line. */
export const MAX_LINE_CHARS = 1024 * 1024;

/** Memory a line record holds beside its characters (string header, array slot). */
const LINE_OVERHEAD = 48;

/**
 * Cuts UTF-8 chunks into lines for the text receivers, as Spark's socketTextStream and textFileStream
 * do (Java's readLine: `\n`, `\r\n` or a lone `\r` end a line and are not part of it). A character or
 * line split across chunks is joined; a line longer than MAX_LINE_CHARS is cut so memory stays bounded.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';
  /** The last chunk ended with `\r`: a `\n` starting the next one belongs to it. */
  private afterCr = false;

  /** Lines completed by `chunk`, and their bytes in memory. */
  push(chunk: Buffer): { lines: string[]; bytes: number } {
    let text = this.decoder.write(chunk);
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = text.endsWith('\r');
    let parts = (this.rest + text).split(/\r\n|\r|\n/);
    this.rest = parts.pop()!;
    if (parts.some((l) => l.length > MAX_LINE_CHARS)) parts = parts.flatMap(cut);
    while (this.rest.length > MAX_LINE_CHARS) {
      parts.push(this.rest.slice(0, MAX_LINE_CHARS));
      this.rest = this.rest.slice(MAX_LINE_CHARS);
    }
    return measured(parts);
  }

  /** The last line when the input ended without a line end (none when it ended with one). */
  end(): { lines: string[]; bytes: number } {
    const last = this.rest + this.decoder.end();
    this.rest = '';
    this.afterCr = false;
    return measured(last === '' ? [] : [last]);
  }
}

function cut(line: string): string[] {
  if (line.length <= MAX_LINE_CHARS) return [line];
  const out: string[] = [];
  for (let i = 0; i < line.length; i += MAX_LINE_CHARS) out.push(line.slice(i, i + MAX_LINE_CHARS));
  return out;
}

function measured(lines: string[]): { lines: string[]; bytes: number } {
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) bytes += lines[i]!.length * 2 + LINE_OVERHEAD;
  return { lines, bytes };
}

/** Stores the lines as one block and waits while the engine has no room; returns how many there were. */
export async function storeLines(
  sink: ReceiverSink<string>,
  got: { lines: string[]; bytes: number },
): Promise<number> {
  if (got.lines.length === 0) return 0;
  const room = sink.store({ records: got.lines, bytes: got.bytes });
  if (room) await room;
  return got.lines.length;
}
