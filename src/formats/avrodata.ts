import { randomBytes } from 'node:crypto';
import { ByteWriter } from '../core/byte-writer.js';
import type { Batch } from '../core/event.js';
import { EVENT_SCHEMA_JSON, writeAvroEvent } from './avro-event.js';
import type { FormatDef, OutputFormat } from './types.js';

const EMPTY = Buffer.alloc(0);
const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1

/**
 * An Avro object container file of AvroFlumeOGEvent records (see avro-event.ts), readable by any Avro
 * implementation:
 *
 *   header := "Obj" 0x01  meta:map<bytes>{avro.schema, avro.codec="null"}  sync:16 random bytes
 *   block  := count:long  size:long  records{count}  sync
 *
 * `header()` opens a file; each non-empty `encode(batch)` is one block. If a writer appends without
 * asking for the header first, the first block carries it, so the output is always a valid file.
 */
export const avrodataFormat: FormatDef = {
  kind: 'format',
  name: 'avrodata',
  docs:
    'An Avro object container file (codec null) of com.cloudera.flume.handlers.avro.AvroFlumeOGEvent ' +
    'records; one block per batch.',
  extension: '.avro',
  create(): OutputFormat {
    return new AvroDataFormat();
  },
};

class AvroDataFormat implements OutputFormat {
  readonly name = 'avrodata';
  private readonly sync = randomBytes(16);
  private readonly records = new ByteWriter(64 * 1024);
  private readonly block = new ByteWriter(1024);
  private headerSent = false;

  header(): Buffer {
    this.headerSent = true;
    const w = new ByteWriter(1024);
    this.writeHeader(w);
    return w.take();
  }

  encode(batch: Batch): Buffer {
    if (batch.length === 0) return EMPTY;
    const w = this.block;
    if (!this.headerSent) {
      this.headerSent = true;
      this.writeHeader(w);
    }
    // The block's byte size precedes its records: write them first, then prepend count and size.
    const r = this.records;
    for (let i = 0; i < batch.length; i++) writeAvroEvent(r, batch[i]!);
    w.long(batch.length);
    w.long(r.pos);
    const out = Buffer.allocUnsafe(w.pos + r.pos + 16);
    w.buf.copy(out, 0, 0, w.pos);
    r.buf.copy(out, w.pos, 0, r.pos);
    this.sync.copy(out, w.pos + r.pos);
    w.pos = 0;
    r.pos = 0;
    return out;
  }

  footer(): Buffer {
    return EMPTY;
  }

  private writeHeader(w: ByteWriter): void {
    w.raw(MAGIC);
    w.long(2);
    w.string('avro.schema');
    w.bytes(Buffer.from(EVENT_SCHEMA_JSON, 'utf8'));
    w.string('avro.codec');
    w.bytes(Buffer.from('null'));
    w.long(0);
    w.raw(this.sync);
  }
}
