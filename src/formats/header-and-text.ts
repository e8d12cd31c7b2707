import { attrsAsJavaMap, type Batch } from '../core/event.js';
import type { FormatDef, OutputFormat } from './types.js';

const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n');

/** The headers as Java prints a map, a space, the body and a newline; one concat per batch. */
function encode(batch: Batch): Buffer {
  const parts: Buffer[] = [];
  for (const e of batch) parts.push(Buffer.from(`{${attrsAsJavaMap(e)}} `), e.body, NEWLINE);
  return Buffer.concat(parts);
}

/** Flume NG's HEADER_AND_TEXT serializer (file_roll, hdfs DataStream): `{k=v, k2=v2} body`. */
export const headerAndTextFormat: FormatDef = {
  kind: 'format',
  name: 'header_and_text',
  aliases: ['HEADER_AND_TEXT'],
  docs:
    "Flume NG's HEADER_AND_TEXT serializer: the attributes as Java prints a map (`{k=v, k2=v2}`), a " +
    'space, the body and a newline. `HEADER_AND_TEXT` is another name.',
  extension: '',
  create(): OutputFormat {
    return { name: 'header_and_text', header: () => EMPTY, encode, footer: () => EMPTY };
  },
};
