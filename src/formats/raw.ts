import type { Batch } from '../core/event.js';
import { encodeLines } from './text.js';
import type { FormatDef, OutputFormat } from './types.js';

const EMPTY = Buffer.alloc(0);
const noPrefix = () => '';

/** The body bytes as they are, then "\n": what `text` and `tail` read back line by line. */
export const rawFormat: FormatDef = {
  name: 'raw',
  docs: 'The body as it is, followed by a newline. Nothing else of the event is written.',
  extension: '',
  create(): OutputFormat {
    return {
      name: 'raw',
      header: () => EMPTY,
      encode: (batch: Batch) => encodeLines(batch, noPrefix, (e) => e.body),
      footer: () => EMPTY,
    };
  },
};
