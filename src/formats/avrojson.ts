import type { Batch } from '../core/event.js';
import { avroJson } from './avro-event.js';
import type { FormatDef, OutputFormat } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * One JSON object per line, each an event in Avro's JSON encoding of the AvroFlumeOGEvent schema
 * (see avro-event.ts): the collectors' default output format.
 *
 *   {"timestamp":1258619833456,"priority":"INFO","body":"hello","nanos":12,"host":"h1","fields":{}}
 */
export const avrojsonFormat: FormatDef = {
  kind: 'format',
  name: 'avrojson',
  docs:
    'One JSON object per line: the event in Avro JSON encoding of the schema ' +
    'com.cloudera.flume.handlers.avro.AvroFlumeOGEvent (bytes as ISO-8859-1 strings).',
  extension: '',
  create(): OutputFormat {
    return {
      name: 'avrojson',
      header: () => EMPTY,
      encode(batch: Batch): Buffer {
        let text = '';
        for (let i = 0; i < batch.length; i++) text += `${avroJson(batch[i]!)}\n`;
        return Buffer.from(text, 'utf8');
      },
      footer: () => EMPTY,
    };
  },
};
