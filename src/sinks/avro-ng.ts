import type { NgSinkDef } from '../catalog/ng.js';
import { readTlsLimits, TLS_LIMIT_PROPERTIES } from '../components/options/tls.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../rpc/avro/frame.js';
import { AvroEventSink, type AvroSinkOptions, type Collector } from './avro.js';

/**
 * Flume NG's avro sink for agent files: the OG AvroEventSink (appendBatch in `batch-size` chunks,
 * pipelined) configured by Flume's property names. The agent's sink runner takes a channel
 * transaction's worth of events, appends, and commits only when every chunk came back OK; anything
 * else rolls the transaction back and the events are sent again (after the client's reconnect backoff).
 *
 * reset-connection-interval closes and reopens the connection every so many seconds, between batches,
 * so a load balancer in front of several receivers spreads long-lived senders again (Flume's reason).
 */
export class NgAvroSink implements EventSink {
  private readonly inner: AvroEventSink;
  private openedAt = 0;

  constructor(
    readonly name: string,
    target: Collector,
    opts: AvroSinkOptions,
    private readonly resetMs: number,
    private readonly logger: Logger,
  ) {
    this.inner = new AvroEventSink(name, target, opts);
  }

  async open(): Promise<void> {
    await this.inner.open();
    this.openedAt = Date.now();
  }

  append(batch: Batch): void | Promise<void> {
    if (this.resetMs > 0 && Date.now() - this.openedAt >= this.resetMs) return this.reset(batch);
    return this.inner.append(batch);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async reset(batch: Batch): Promise<void> {
    this.logger.debug(`${this.name}: reset-connection-interval reached, reconnecting`);
    await this.inner.close();
    await this.open();
    await this.inner.append(batch);
  }
}

export const ngAvroSink: NgSinkDef = {
  kind: 'ng-sink',
  type: 'avro',
  specUnavailable:
    'From a spec, avro is avroSink: the same protocol with the dataflow arguments. They stay two ' +
    'components for now because this one is sized by channel transactions (batch-size, reset-connection-interval).',
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
    {
      name: 'compression-type',
      type: 'string',
      default: 'none',
      choices: ['none', 'deflate'],
      docs: 'deflate: a zlib stream per connection each way; the receiver must be configured alike.',
    },
    { name: 'compression-level', type: 'int', default: '6', min: 0, docs: 'zlib level 0-9 (with deflate).' },
    { name: 'ssl', type: 'bool', default: 'false', docs: 'Connect with TLS.' },
    {
      name: 'trust-all-certs',
      type: 'bool',
      default: 'false',
      docs: 'Accept any server certificate (no verification: tests only). Otherwise truststore or the system CAs verify it.',
    },
    {
      name: 'truststore',
      type: 'string',
      docs: 'PEM file of the CA certificate(s) (or the self-signed certificate) to trust (no JKS).',
    },
    {
      name: 'truststore-password',
      type: 'string',
      docs: 'Accepted for Flume compatibility; PEM trust stores have no password.',
    },
    {
      name: 'truststore-type',
      type: 'string',
      default: 'PEM',
      docs: 'Only PEM (JKS and PKCS12 are refused).',
    },
    ...TLS_LIMIT_PROPERTIES,
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
    const tt = p.optString('truststore-type');
    if (tt !== undefined && tt.toUpperCase() !== 'PEM')
      throw p.error('truststore-type', `truststore-type "${tt}" is not supported: Sluice reads PEM files`);
    const level = p.int('compression-level');
    if (level > 9) throw p.error('compression-level', `compression-level must be 0-9, got ${level}`);
    const logger = ctx.logger.child(p.component);
    const trustAllCerts = p.bool('trust-all-certs');
    const truststore = p.optString('truststore');
    const ssl = p.bool('ssl');
    if (!ssl && (trustAllCerts || truststore !== undefined))
      logger.warn(`${p.component}: trust-all-certs and truststore have no effect without ssl = true`);
    const token = p.optString('token');
    return new NgAvroSink(
      p.component,
      { host: p.string('hostname'), port },
      {
        compression: p.string('compression-type').toLowerCase() as 'none' | 'deflate',
        compressionLevel: level,
        ssl,
        keyFile: undefined,
        certFile: undefined,
        caFile: ssl ? truststore : undefined,
        trustAllCerts: ssl && trustAllCerts,
        token: token === '' ? undefined : token,
        maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
        tlsLimits: ssl ? readTlsLimits(p, logger) : undefined,
        batchSize: p.int('batch-size'),
        window: p.int('window'),
        connectTimeout: p.int('connect-timeout'),
        requestTimeout: p.int('request-timeout'),
        sluiceHeaders: p.bool('sluiceHeaders'),
      },
      p.int('reset-connection-interval') * 1000,
      logger,
    );
  },
};
