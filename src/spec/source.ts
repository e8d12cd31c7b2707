import { SluiceError } from '../core/errors.js';
import type { Pos } from './ast.js';

/** Lines longer than this are shown as a window around the column so a caret stays readable. */
const MAX_SHOWN = 160;

/**
 * The text being parsed, with a table of line starts so any offset maps to a 1-based line and column
 * (columns count UTF-16 code units, as editors using JavaScript strings do). Line breaks are \n, \r\n
 * and a lone \r.
 */
export class SourceText {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly text: string,
    readonly file: string | undefined,
  ) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      }
    }
  }

  posAt(offset: number): Pos {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1, offset };
  }

  /** The line holding `offset` (without its break) and the caret line under the offset's column. */
  caret(offset: number): string {
    const pos = this.posAt(offset);
    const start = this.lineStarts[pos.line - 1]!;
    let end = start;
    while (end < this.text.length) {
      const c = this.text.charCodeAt(end);
      if (c === 10 || c === 13) break;
      end++;
    }
    let from = start;
    let to = end;
    if (end - start > MAX_SHOWN) {
      from = Math.max(start, offset - MAX_SHOWN / 2);
      to = Math.min(end, from + MAX_SHOWN);
    }
    const shown = `${from > start ? '...' : ''}${this.text.slice(from, to)}${to < end ? '...' : ''}`;
    // Tabs are kept in the caret line so the caret sits under the right character in any tab width.
    let pad = from > start ? '   ' : '';
    for (let i = from; i < offset && i < to; i++) pad += this.text[i] === '\t' ? '\t' : ' ';
    return `${shown}\n${pad}^`;
  }

  error(message: string, offset: number): SluiceError {
    const pos = this.posAt(offset);
    return new SluiceError('SLUICE_SPEC_SYNTAX', message, {
      place: { ...(this.file !== undefined ? { file: this.file } : {}), line: pos.line, column: pos.column },
      detail: this.caret(offset),
    });
  }
}
