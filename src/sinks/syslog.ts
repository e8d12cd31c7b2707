import type { Socket } from 'node:net';
import { checkPort } from '../catalog/ports.js';
import type { SinkDef } from '../catalog/types.js';
import { readTlsArgs, tlsParams } from '../components/options/tls.js';
import { Backoff } from '../core/backoff.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSink } from '../core/pipeline.js';
import { loadTls, type TlsArgs } from '../rpc/avro/component-options.js';
import type { TlsOptions } from '../rpc/avro/server.js';
import type { SyslogWireOptions } from '../rpc/syslog/format.js';
import { SyslogWireFormat } from '../rpc/syslog/format.js';
import { syslogZone } from '../rpc/syslog/zone.js';
import { connectSocket, isCertificateError } from '../rpc/tls.js';

/**
 * syslogTcp("host"[, port=514]): writes events to a syslog daemon (or another syslogTcp source) over
 * TCP in syslog wire format (rpc/syslog/format.ts). Each batch is one socket write. When the kernel
 * buffer is full, append returns a promise that settles in the write callback (backpressure). A lost
 * connection is noticed on the next append, which reconnects with backoff before writing; syslog over
 * TCP has no acknowledgements, so what sat in the socket buffer of a dead connection is lost.
 * With TLS (RFC 5425) the same bytes go inside the TLS session; a server certificate that fails
 * verification is reported at once, without retries, since only a configuration change can fix it.
 */

export interface SyslogTcpSinkOptions extends SyslogWireOptions {
  host: string;
  port: number;
  /** Connection attempts per append once the connection is lost (and in open). */
  retries?: number;
  /** First pause between attempts; doubles each time up to 2 s. */
  backoffMs?: number;
  connectTimeoutMs?: number;
  /** Connect with TLS: caFile to trust, keyFile/certFile for a client certificate; read at open. */
  tls?: TlsArgs | undefined;
  logger?: Logger;
}

const COMPONENT = 'syslogTcp';

export class SyslogTcpSink implements EventSink {
  private socket: Socket | undefined;
  private broken = true;
  private closed = false;
  private readonly format: SyslogWireFormat;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private tls: TlsOptions | undefined;
  /** Connections made (the first one and every reconnection). */
  connects = 0;

  constructor(private readonly opts: SyslogTcpSinkOptions) {
    checkPort(COMPONENT, opts.port, 'port', 1);
    this.format = new SyslogWireFormat(opts);
    this.retries = opts.retries ?? 5;
    this.backoffMs = opts.backoffMs ?? 100;
    this.timeoutMs = opts.connectTimeoutMs ?? 5000;
  }

  private get where(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  async open(): Promise<void> {
    this.closed = false;
    await this.reconnect();
  }

  append(batch: Batch): void | Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new SluiceError('SLUICE_CLOSED', `append after close (${this.where})`, {
          place: { component: COMPONENT },
        }),
      );
    }
    if (batch.length === 0) return;
    const buf = this.format.encode(batch);
    if (this.broken) return this.reconnect().then(() => this.write(buf));
    return this.write(buf);
  }

  async flush(): Promise<void> {
    const s = this.socket;
    if (s === undefined || this.broken || s.writableLength === 0) return;
    // An empty write's callback runs once everything queued before it reached the kernel.
    await new Promise<void>((resolve) => s.write(Buffer.alloc(0), () => resolve()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const s = this.socket;
    this.socket = undefined;
    if (s === undefined || s.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, this.timeoutMs);
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      s.end();
    });
  }

  private write(buf: Buffer): void | Promise<void> {
    const s = this.socket!;
    let failed: Error | null | undefined;
    let settle: ((err: Error | null | undefined) => void) | undefined;
    const ok = s.write(buf, (err) => {
      failed = err ?? null;
      settle?.(err);
    });
    if (ok) return;
    if (failed !== undefined) return failed ? Promise.reject(this.writeError(failed)) : undefined;
    return new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(this.writeError(err)) : resolve());
    });
  }

  private writeError(e: Error): SluiceError {
    this.broken = true;
    return ioError(e, `${COMPONENT} write to ${this.where} failed`, { component: COMPONENT });
  }

  private async reconnect(): Promise<void> {
    // Here rather than in open: an append without open must never fall back to plain text.
    if (this.opts.tls?.ssl && this.tls === undefined) this.tls = loadTls(this.opts.tls, COMPONENT, 'client');
    const delay = new Backoff({ initialMs: this.backoffMs, maxMs: Math.max(this.backoffMs, 2000) });
    let last: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (this.closed) throw new SluiceError('SLUICE_CLOSED', `closed while connecting to ${this.where}`);
      try {
        await this.connectOnce();
        if (this.connects > 1) this.opts.logger?.info(`${COMPONENT}: reconnected to ${this.where}`);
        return;
      } catch (e) {
        last = e;
        if (isCertificateError(e)) {
          throw new SluiceError(
            'SLUICE_IO',
            `${COMPONENT}: TLS certificate of ${this.where} not trusted: ${(e as Error).message} (check caFile and the certificate's names)`,
            { cause: e, place: { component: COMPONENT, field: 'caFile' } },
          );
        }
        if (attempt < this.retries) {
          await new Promise((r) => setTimeout(r, delay.fail()));
        }
      }
    }
    throw ioError(last, `${COMPONENT} cannot connect to ${this.where}`, {
      component: COMPONENT,
      field: 'host',
    });
  }

  private connectOnce(): Promise<void> {
    this.socket?.destroy();
    this.socket = undefined;
    return new Promise<void>((resolve, reject) => {
      const { socket: s, ready } = connectSocket(this.opts.host, this.opts.port, this.tls);
      const timer = setTimeout(() => {
        s.destroy();
        reject(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' }));
      }, this.timeoutMs);
      s.once(ready, () => {
        clearTimeout(timer);
        this.socket = s;
        this.broken = false;
        this.connects++;
        resolve();
      });
      s.on('error', (e) => {
        clearTimeout(timer);
        if (this.socket === s) {
          this.broken = true;
          this.opts.logger?.warn(`${COMPONENT}: connection to ${this.where} failed: ${e.message}`);
        }
        reject(e);
      });
      s.on('close', () => {
        if (this.socket === s) this.broken = true;
      });
      // The peer never talks back; reading keeps a half-closed connection from lingering unnoticed.
      s.on('data', () => {});
      s.on('end', () => {
        if (this.socket === s) this.broken = true;
      });
    });
  }
}

export const syslogTcpSink: SinkDef = {
  kind: 'sink',
  name: 'syslogTcp',
  docs:
    'Syslog TCP sink: writes events to host:port in syslog wire format (syslog-ng and rsyslog compatible, ' +
    'or another Sluice syslogTcp source). RFC 3164 lines by default; PRI from the syslogfacility and ' +
    'syslogseverity attributes or the event priority; bodies that already are syslog messages are ' +
    'forwarded as they are. Reconnects when the connection drops. With ssl=true it sends over TLS ' +
    '(RFC 5425), trusting caFile (or the system CAs); keyFile and certFile give a client certificate.',
  params: [
    { name: 'host', type: 'string', docs: 'Host name or address of the syslog receiver.' },
    { name: 'port', type: 'int', optional: true, default: 514, docs: 'TCP port of the receiver.' },
    {
      name: 'format',
      type: 'string',
      optional: true,
      default: 'rfc3164',
      docs: 'Header layout: rfc3164 ("<PRI>Mmm dd hh:mm:ss HOST ") or rfc5424.',
    },
    {
      name: 'octetCounting',
      type: 'bool',
      optional: true,
      default: false,
      docs: 'Frame messages with RFC 6587 octet counts instead of a newline (keeps newlines in bodies).',
    },
    {
      name: 'zone',
      type: 'string',
      optional: true,
      configDefault: 'sluice.time.zone',
      docs: 'Time zone of RFC 3164 timestamps: UTC, local (the process zone) or an IANA name.',
    },
    {
      name: 'facility',
      type: 'int',
      optional: true,
      default: 1,
      docs: 'Facility (0..23) of events without a syslogfacility attribute; 1 is user.',
    },
    ...tlsParams('client'),
  ],
  build(args, ctx) {
    const format = (args.optString('format') ?? 'rfc3164').toLowerCase();
    if (format !== 'rfc3164' && format !== 'rfc5424') {
      throw new SluiceError(
        'SLUICE_SPEC_BAD_ARGUMENT',
        `format must be rfc3164 or rfc5424, got "${format}"`,
        {
          place: { component: COMPONENT, field: 'format' },
        },
      );
    }
    const facility = args.optInt('facility') ?? 1;
    if (!Number.isInteger(facility) || facility < 0 || facility > 23) {
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `facility must be 0..23, got ${facility}`, {
        place: { component: COMPONENT, field: 'facility' },
      });
    }
    return new SyslogTcpSink({
      host: args.string('host'),
      port: args.optInt('port') ?? 514,
      rfc5424: format === 'rfc5424',
      octetCounting: args.optBool('octetCounting') ?? false,
      zone: syslogZone(args.optString('zone') ?? ctx.config.get('sluice.time.zone'), {
        component: COMPONENT,
        field: 'zone',
      }),
      facility,
      tls: readTlsArgs(args, 'client'),
      logger: ctx.logger,
    });
  },
};
