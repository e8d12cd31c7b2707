import type { Batch } from '../core/event.js';
import type { FormatDef, OutputFormat } from './types.js';

const EMPTY = Buffer.alloc(0);

/** One allocation per batch: the sum of body lengths plus a newline each. */
function encodeRaw(batch: Batch): Buffer {
  const n = batch.length;
  let total = n;
  for (let i = 0; i < n; i++) total += batch[i]!.bodyLength;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < n; i++) {
    off += batch[i]!.copyBodyTo(out, off);
    out[off++] = 0x0a;
  }
  return out;
}

/** The body bytes as they are, then "\n": what `text` and `tail` read back line by line. */
export const rawFormat: FormatDef = {
  kind: 'format',
  name: 'raw',
  aliases: ['TEXT'],
  docs:
    "The body as it is, followed by a newline. Nothing else of the event is written. `TEXT` (Flume NG's " +
    'serializer name) is another name.',
  extension: '',
  create(): OutputFormat {
    return {
      name: 'raw',
      header: () => EMPTY,
      encode: encodeRaw,
      footer: () => EMPTY,
    };
  },
};
