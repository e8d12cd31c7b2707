import type { NgSinkDef } from '../catalog/ng.js';
import { compileEscapes } from '../core/escapes.js';
import type { Batch } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { findFormat } from '../formats/index.js';
import { BucketedWriter } from '../storage/bucketed-writer.js';
import { serializerFactory } from './file-roll.js';

/**
 * Flume NG's `hdfs` sink on Sluice's bucketed writer: escaped paths, files under a hidden temporary
 * name renamed when complete, rolls by time, size and count, and `hdfs://` through WebHDFS (or
 * `file://` / plain paths). hdfs.useLocalTimeStamp buckets by arrival time instead of event time.
 */
class HdfsSink implements EventSink {
  constructor(
    private readonly writer: BucketedWriter,
    private readonly localTime: boolean,
  ) {}
  /** Confined paths, refused batches and failed appends (storage/bucketed-writer.ts). */
  get stats(): BucketedWriter['stats'] {
    return this.writer.stats;
  }
  open(): Promise<void> {
    return this.writer.open();
  }
  append(batch: Batch): void | Promise<void> {
    if (this.localTime) {
      const now = Date.now();
      for (let i = 0; i < batch.length; i++) batch[i]!.timestamp = now;
    }
    return this.writer.append(batch);
  }
  close(): Promise<void> {
    return this.writer.close();
  }
}

export const hdfsSink: NgSinkDef = {
  kind: 'ng-sink',
  type: 'hdfs',
  docs:
    'Writes events to files on HDFS (WebHDFS REST API: hdfs://namenode:httpPort/path) or a local file system ' +
    '(file:// or a plain path). hdfs.path and hdfs.filePrefix take escapes (%Y, %H, %{host}, %{header}); a file ' +
    'is written under a hidden temporary name and renamed when it rolls, by time (rollInterval), size ' +
    '(rollSize) or count (rollCount), whichever comes first; 0 disables a trigger. Values from events are ' +
    'confined to the directory before the first escape (a host of ../x is written %2E.%2Fx; docs/collector.md).',
  properties: [
    { name: 'hdfs.path', type: 'string', required: true, docs: 'Directory URI, with escapes.' },
    {
      name: 'hdfs.filePrefix',
      type: 'string',
      default: 'FlumeData',
      docs: 'File name prefix, with escapes.',
    },
    { name: 'hdfs.fileSuffix', type: 'string', default: '', docs: 'Appended to file names (e.g. .avro).' },
    {
      name: 'hdfs.inUsePrefix',
      type: 'string',
      default: '.',
      docs: 'Accepted; open files are always hidden (leading dot).',
    },
    {
      name: 'hdfs.inUseSuffix',
      type: 'string',
      default: '.tmp',
      docs: 'Accepted; open files always end in .tmp.',
    },
    {
      name: 'hdfs.rollInterval',
      type: 'int',
      default: '30',
      min: 0,
      docs: 'Seconds before a file is rolled (0: never).',
    },
    {
      name: 'hdfs.rollSize',
      type: 'int',
      default: '1024',
      min: 0,
      docs: 'Bytes that roll a file (0: never).',
    },
    {
      name: 'hdfs.rollCount',
      type: 'int',
      default: '10',
      min: 0,
      docs: 'Events that roll a file (0: never).',
    },
    {
      name: 'hdfs.idleTimeout',
      type: 'int',
      default: '0',
      min: 0,
      docs: 'Seconds after which an unwritten file is closed (0: never).',
    },
    {
      name: 'hdfs.batchSize',
      type: 'int',
      default: '100',
      min: 1,
      docs: 'Events taken from the channel per transaction.',
    },
    {
      name: 'hdfs.maxOpenFiles',
      type: 'int',
      default: '5000',
      min: 1,
      docs: 'Open files at most; the least recently used is closed.',
    },
    {
      name: 'hdfs.fileType',
      type: 'string',
      default: 'SequenceFile',
      choices: ['SequenceFile', 'DataStream', 'CompressedStream'],
      docs: "SequenceFile (Flume OG's event records, readable by the seqfile source), DataStream (the serializer's bytes), CompressedStream (the same, gzipped).",
    },
    {
      name: 'hdfs.codeC',
      type: 'string',
      default: 'gzip',
      choices: ['gzip', 'gz'],
      docs: 'Codec of CompressedStream: gzip.',
    },
    {
      name: 'hdfs.writeFormat',
      type: 'string',
      default: 'Writable',
      choices: ['Writable', 'Text'],
      docs: 'Accepted for compatibility.',
    },
    {
      name: 'hdfs.useLocalTimeStamp',
      type: 'bool',
      default: 'false',
      docs: 'Bucket by the time the sink sees the event.',
    },
    {
      name: 'hdfs.timeZone',
      type: 'string',
      docs: 'IANA zone of date escapes (default sluice.time.zone, UTC).',
    },
    {
      name: 'hdfs.user',
      type: 'string',
      docs: 'WebHDFS user.name (default: from the URI, HADOOP_USER_NAME or the OS user).',
    },
    {
      name: 'serializer',
      type: 'string',
      default: 'TEXT',
      docs: 'DataStream content: TEXT, HEADER_AND_TEXT or a Sluice format name (avrojson, avrodata ...).',
    },
  ],
  create(p, ctx) {
    const timeZone = p.optString('hdfs.timeZone') ?? ctx.config.get('sluice.time.zone');
    const fileType = p.string('hdfs.fileType').toLowerCase();
    let format: () => { header(): Buffer; encode(b: Batch): Buffer; footer(): Buffer };
    try {
      format =
        fileType === 'sequencefile'
          ? () => findFormat('seqfile').create(timeZone ? { timeZone } : {})
          : serializerFactory(p.string('serializer'), timeZone, ctx);
    } catch (e) {
      throw p.error('serializer', (e as Error).message);
    }
    const user = p.optString('hdfs.user');
    let writer: BucketedWriter;
    try {
      writer = new BucketedWriter({
        dir: p.string('hdfs.path'),
        file: p.string('hdfs.filePrefix'),
        naming: 'unique',
        extension: p.string('hdfs.fileSuffix'),
        format,
        gzip: fileType === 'compressedstream',
        maxOpenFiles: p.int('hdfs.maxOpenFiles'),
        idleTimeoutMs: p.int('hdfs.idleTimeout') * 1000,
        rollMillis: p.int('hdfs.rollInterval') * 1000,
        rollBytes: p.int('hdfs.rollSize'),
        rollEvents: p.int('hdfs.rollCount'),
        ...(timeZone ? { timeZone } : {}),
        ...(user ? { fs: { webhdfs: { user } } } : {}),
        component: p.component,
        logger: ctx.logger.child(p.component),
      });
    } catch (e) {
      let field = 'hdfs.path';
      try {
        compileEscapes(p.string('hdfs.filePrefix'));
      } catch {
        field = 'hdfs.filePrefix';
      }
      throw p.error(field, (e as Error).message);
    }
    return new HdfsSink(writer, p.bool('hdfs.useLocalTimeStamp'));
  },
};
