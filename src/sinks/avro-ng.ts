import type { NgSinkDef } from '../catalog/ng.js';
import { NG_CLIENT_TLS_PROPERTIES, readNgClientTls } from '../components/options/tls.js';
import {
  NG_COMPRESSION_PROPERTIES,
  readNgCompression,
  readNgToken,
} from '../components/options/transport.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../rpc/avro/frame.js';
import { AvroEventSink } from './avro.js';

/**
 * Flume NG's avro sink for agent files: the AvroEventSink of rpcSink and avroSink (appendBatch in
 * `batch-size` chunks, pipelined) configured by Flume's property names. The agent's sink runner takes a
 * channel transaction's worth of events, appends, and commits only when every chunk came back OK;
 * anything else rolls the transaction back and the events are sent again (after the client's reconnect
 * backoff).
 */
export const ngAvroSink: NgSinkDef = {
  kind: 'ng-sink',
  type: 'avro',
  specUnavailable:
    'From a spec, avro is avroSink: the same sink with the dataflow arguments. The agent-file type keeps ' +
    "Flume's property names and defaults (hostname, batch-size, window 4, seconds of reset-connection-interval).",
  docs:
    "Flume NG's avro sink: sends the channel's events with appendBatch to an AvroSourceProtocol server (a " +
    'Flume or Sluice avro source, a Sluice collectorSource or rpcSource, a Spark push receiver). The channel ' +
    'transaction commits only when every chunk was answered OK; otherwise it rolls back and the events are ' +
    'sent again after a reconnect.',
  properties: [
    { name: 'hostname', type: 'string', required: true, docs: 'Host (name or address) of the receiver.' },
    { name: 'port', type: 'int', required: true, min: 1, docs: 'Port of the receiver.' },
    {
      name: 'batch-size',
      type: 'int',
      default: '100',
      min: 1,
      docs: 'Events per appendBatch call, and per channel transaction.',
    },
    { name: 'connect-timeout', type: 'int', default: '20000', min: 1, docs: 'Milliseconds to connect.' },
    {
      name: 'request-timeout',
      type: 'int',
      default: '20000',
      min: 1,
      docs: 'Milliseconds to wait for each answer; a late answer drops the connection and the batch is retried.',
    },
    {
      name: 'reset-connection-interval',
      type: 'int',
      default: '0',
      min: 0,
      docs: 'Seconds after which the connection is closed and reopened between batches; 0 never.',
    },
    ...NG_COMPRESSION_PROPERTIES,
    ...NG_CLIENT_TLS_PROPERTIES,
    {
      name: 'maxIoWorkers',
      type: 'int',
      min: 1,
      docs: 'Accepted for Flume compatibility and ignored: Node does its I/O on one event loop.',
    },
    {
      name: 'token',
      type: 'string',
      docs: 'Shared secret presented in the handshake to a Sluice source configured with the same token.',
    },
    {
      name: 'window',
      type: 'int',
      default: '4',
      min: 1,
      docs: 'appendBatch calls in flight at once on the connection (Sluice-specific pipelining).',
    },
    {
      name: 'sluiceHeaders',
      type: 'bool',
      default: 'true',
      docs: 'Also send sluice.priority and sluice.nanos headers (off: only the timestamp and host headers are added).',
    },
  ],
  create(p, ctx) {
    const port = p.int('port');
    if (port > 65535) throw p.error('port', `port must be between 1 and 65535, got ${port}`);
    const logger = ctx.logger.child(p.component);
    return new AvroEventSink(
      p.component,
      { host: p.string('hostname'), port },
      {
        ...readNgClientTls(p, logger),
        ...readNgCompression(p),
        token: readNgToken(p),
        maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
        batchSize: p.int('batch-size'),
        window: p.int('window'),
        connectTimeout: p.int('connect-timeout'),
        requestTimeout: p.int('request-timeout'),
        sluiceHeaders: p.bool('sluiceHeaders'),
        resetConnectionMs: p.int('reset-connection-interval') * 1000,
      },
      logger,
    );
  },
};
