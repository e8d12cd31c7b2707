import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:net';
import type { NgSourceDef } from '../catalog/ng.js';
import { checkPort } from '../catalog/ports.js';
import type { ComponentProperties } from '../catalog/properties.js';
import type { BoundArgs, BuildContext, ParamSpec, SourceDef } from '../catalog/types.js';
import {
  connectionLimitParams,
  connectionLimitProperties,
  readConnectionLimits,
} from '../components/options/connection-limits.js';
import {
  NG_SERVER_TLS_PROPERTIES,
  readNgServerTls,
  readTlsArgs,
  tlsParams,
} from '../components/options/tls.js';
import { SiteConfig } from '../core/config.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import { limits, nowNanos } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { loadTls, type TlsArgs } from '../rpc/avro/component-options.js';
import {
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  emptyGuardStats,
  type GuardedConnection,
  type GuardStats,
} from '../rpc/connection-guard.js';
import { PeerNotices } from '../rpc/peer-notices.js';
import { type FramingLoss, SyslogFramer } from '../rpc/syslog/framing.js';
import { SYSLOG_PARSE_ERROR, SyslogParser } from '../rpc/syslog/parse.js';
import { syslogZone, type Zone } from '../rpc/syslog/zone.js';
import { BoundedQueue } from './bounded-queue.js';
import { GuardedListener } from './guarded-listener.js';

/**
 * Syslog receivers: syslogUdp(port), syslogTcp(port) (many connections) and syslogTcp1(port) (one
 * connection, then the source is drained and finishes), and their Flume NG forms syslogtcp,
 * multiport_syslogtcp (one source on several ports) and syslogudp. Parsing and framing live in rpc/syslog; this file owns sockets, the
 * event queue, backpressure and the loss counts. See docs/syslog.md.
 */

export interface SyslogSourceOptions {
  port: number;
  /** TCP: listen on each of these ports instead of `port` (Flume NG's multiport_syslogtcp). */
  ports?: readonly number[];
  /** TCP: the attribute that records the port a message came in on. */
  portHeader?: string;
  /** Address to listen on; default the site property sluice.source.bind (127.0.0.1). */
  bind?: string;
  zone?: Zone;
  /** Longest message kept (longer ones are cut and marked); default flume.event.max.size.bytes. */
  maxMessageSize?: number;
  /** Events buffered before TCP sockets are paused (UDP datagrams are dropped and counted instead);
   * default 16,384 for TCP, 100,000 for UDP. */
  maxQueued?: number;
  /** Bytes buffered (received bytes plus a per-event overhead) before the same happens; default
   * 16 MiB for TCP, 64 MiB for UDP. */
  maxQueuedBytes?: number;
  /** Most events handed out by one next(). */
  maxBatch?: number;
  /** TCP only: serve TLS (RFC 5425) with these PEM files, read at open. */
  tls?: TlsArgs | undefined;
  /** TCP only: connection limits and timeouts (default SYSLOG_TCP_LIMITS). */
  limits?: ConnectionLimits;
  logger?: Logger;
}

/**
 * Events queued before TCP sockets pause. Small on purpose: TCP holds the rest in kernel buffers, and
 * events that wait long survive young-generation collections, so a deep queue (100,000 measured)
 * made GC the largest cost of a loaded receiver. UDP cannot push back, so it keeps a deep queue for
 * bursts; the byte bounds keep large messages from turning either depth into gigabytes (100,000 UDP
 * messages of 32 KiB held 3.4 GB before they existed).
 */
const TCP_MAX_QUEUED = 16_384;
const UDP_MAX_QUEUED = 100_000;
const TCP_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
const UDP_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/**
 * Syslog over TCP never closes a quiet connection by default: a sender such as rsyslog learns that its
 * connection was closed only when a write fails, so the first message written after the close is lost
 * (RFC 6587 has no acknowledgements). A switch that logs once an hour would lose every other message.
 * maxConnections still bounds what idle connections can hold; idleTimeout can be set where senders are many.
 */
export const SYSLOG_TCP_LIMITS: Readonly<ConnectionLimits> = {
  ...DEFAULT_CONNECTION_LIMITS,
  idleTimeoutMs: 0,
};

const SYSLOG_IDLE_DOCS =
  'Milliseconds a connection may carry no data before it is closed; default 0 (never), since a syslog sender loses the first message it writes into a connection closed under it.';

const SYSLOG_LIMIT_DOCS = { idleTimeoutMs: SYSLOG_IDLE_DOCS };
const SYSLOG_LIMIT_PROPERTIES = connectionLimitProperties(SYSLOG_TCP_LIMITS, SYSLOG_LIMIT_DOCS);

/** Loss counted by every syslog source: messages cut to maxMessageSize and bytes skipped to resynchronise. */
export interface SyslogLossStats {
  /** Messages (lines, datagrams) longer than maxMessageSize, delivered cut. */
  cut: number;
  /** Bytes of those messages that were dropped. */
  cutBytes: number;
  /** TCP: octet counts above maxMessageSize, after which the stream was skipped up to the next LF. */
  resyncs: number;
  /** TCP: bytes skipped by those resynchronisations, counts included. */
  resyncBytes: number;
}

export interface SyslogTcpStats extends SyslogLossStats {
  connections: GuardStats;
  tlsFailed: number;
}

export interface SyslogUdpStats extends SyslogLossStats {
  /** Datagrams dropped because the queue was full (UDP has no way to slow a sender down). */
  droppedQueueFull: number;
  /** Zero-length datagrams (nothing to deliver). */
  droppedEmpty: number;
  /** Datagrams delivered with a syslog.parse.error attribute (unparsable, NUL bytes, cut). */
  invalid: number;
}

function lossStats(): SyslogLossStats {
  return { cut: 0, cutBytes: 0, resyncs: 0, resyncBytes: 0 };
}

function defaults(name: string, opts: SyslogSourceOptions) {
  for (const port of opts.ports ?? [opts.port]) checkPort(name, port);
  const max = opts.maxMessageSize ?? limits.maxBodySize;
  if (!Number.isInteger(max) || max < 16) {
    throw new SluiceError(
      'SLUICE_SPEC_BAD_ARGUMENT',
      `maxMessageSize must be an integer of at least 16, got ${max}`,
      {
        place: { component: name, field: 'maxMessageSize' },
      },
    );
  }
  const udp = name === 'syslogUdp';
  return {
    bind: opts.bind ?? SiteConfig.defaults().getString('sluice.source.bind'),
    zone: opts.zone ?? syslogZone('UTC'),
    maxMessageSize: max,
    maxQueued: opts.maxQueued ?? (udp ? UDP_MAX_QUEUED : TCP_MAX_QUEUED),
    maxQueuedBytes: opts.maxQueuedBytes ?? (udp ? UDP_MAX_QUEUED_BYTES : TCP_MAX_QUEUED_BYTES),
    maxBatch: opts.maxBatch ?? 4096,
  };
}

/**
 * A TCP syslog receiver; `single` makes it syslogTcp1 (first connection only, then finished). With
 * `ports` it listens on several ports, one listener (and connection limits) each, all feeding one
 * queue: a full queue pauses every port.
 */
export class SyslogTcpSource implements EventSource {
  private listeners: GuardedListener[] = [];
  private readonly queue: BoundedQueue;
  private readonly cfg: ReturnType<typeof defaults>;
  private readonly loss = lossStats();
  private readonly notices: PeerNotices;
  private readonly framingLoss: FramingLoss;
  private closed = false;
  /** Connections accepted over the source's life. */
  connections = 0;

  constructor(
    private readonly opts: SyslogSourceOptions,
    private readonly single = false,
  ) {
    this.cfg = defaults(this.name, opts);
    this.notices = new PeerNotices(opts.logger);
    this.queue = new BoundedQueue({
      maxEvents: this.cfg.maxQueued,
      maxBytes: this.cfg.maxQueuedBytes,
      maxBatch: this.cfg.maxBatch,
      onFull: () => {
        for (const l of this.listeners) l.hold();
      },
      onRoom: () => {
        for (const l of this.listeners) l.release();
      },
    });
    const max = this.cfg.maxMessageSize;
    this.framingLoss = {
      cut: (peer, kept, dropped) => {
        this.loss.cut++;
        this.loss.cutBytes += dropped;
        this.notices.warn(
          peer,
          'cut',
          () =>
            `${this.name}: a message from ${peer} was longer than maxMessageSize ${max}: kept ${kept} bytes, skipped ${dropped} up to its newline`,
        );
      },
      resynced: (peer, announced, skipped) => {
        this.loss.resyncs++;
        this.loss.resyncBytes += skipped;
        this.notices.warn(
          peer,
          'resync',
          () =>
            `${this.name}: ${peer} sent an octet count of ${announced}, above maxMessageSize ${max}: skipped ${skipped} bytes up to the next newline and resynchronised`,
        );
      },
    };
  }

  get name(): string {
    return this.single ? 'syslogTcp1' : 'syslogTcp';
  }

  /** The port listened on (the real one when 0 was asked for); the first one with several. */
  get port(): number {
    return this.listeners[0]?.port ?? 0;
  }

  /** Every port listened on, in the order configured. */
  get ports(): number[] {
    return this.listeners.map((l) => l.port);
  }

  /** Events waiting for next(). */
  get queued(): number {
    return this.queue.size;
  }

  /** Bytes waiting for next() (received bytes plus a per-event overhead). */
  get queuedBytes(): number {
    return this.queue.byteSize;
  }

  get stats(): SyslogTcpStats {
    const connections = emptyGuardStats();
    let tlsFailed = 0;
    for (const l of this.listeners) {
      const g = l.guard.stats;
      for (const k of Object.keys(connections) as (keyof GuardStats)[]) connections[k] += g[k];
      tlsFailed += l.tlsFailed;
    }
    return { ...this.loss, connections, tlsFailed };
  }

  async open(): Promise<void> {
    if (this.listeners.length > 0) return;
    const tls = this.opts.tls?.ssl ? loadTls(this.opts.tls, this.name, 'server') : undefined;
    const listeners = (this.opts.ports ?? [this.opts.port]).map((port) => {
      const listener: GuardedListener = new GuardedListener({
        component: this.name,
        bind: this.cfg.bind,
        port,
        tls,
        limits: this.opts.limits ?? SYSLOG_TCP_LIMITS,
        logger: this.opts.logger,
        onConnection: (s, conn) => this.accept(s, conn, listener.port),
      });
      return listener;
    });
    this.listeners = listeners;
    try {
      for (const l of listeners) await l.listen();
    } catch (e) {
      // One port taken fails the source: the ports already bound are let go.
      this.listeners = [];
      await Promise.all(listeners.map((l) => l.close()));
      throw e;
    }
    if (this.queue.full) for (const l of listeners) l.hold();
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.closed) return null;
    return this.queue.next();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    await Promise.all(this.listeners.map((l) => l.close()));
  }

  private accept(socket: Socket, conn: GuardedConnection, port: number): () => boolean {
    if (this.closed || (this.single && this.connections > 0)) {
      socket.destroy();
      return () => false;
    }
    const framer = new SyslogFramer(
      new SyslogParser({ zone: this.cfg.zone }),
      socket.remoteAddress ?? 'unknown',
      this.cfg.maxMessageSize,
      this.framingLoss,
    );
    this.connections++;
    // syslogTcp1 serves exactly one peer: stop listening so the port is free once it is done.
    if (this.single) for (const l of this.listeners) l.stopListening();
    const header = this.opts.portHeader;
    const portValue = Buffer.from(String(port));
    const deliver = (out: Event[], received: number) => {
      if (header !== undefined) for (let i = 0; i < out.length; i++) out[i]!.setAttr(header, portValue);
      this.queue.put(out, received);
    };
    socket.on('data', (chunk: Buffer) => {
      conn.activity();
      const out: Event[] = [];
      framer.push(chunk, out);
      conn.partial(framer.pending);
      deliver(out, chunk.length);
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (this.closed) return;
      const out: Event[] = [];
      framer.end(out);
      deliver(out, 0);
      if (this.single) this.queue.finish();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (e) =>
      this.opts.logger?.debug(`${this.name}: connection from ${socket.remoteAddress}: ${e.message}`),
    );
    return () => framer.pending;
  }
}

/** A UDP syslog receiver: one message per datagram (RFC 5426). */
export class SyslogUdpSource implements EventSource {
  private socket: UdpSocket | undefined;
  private readonly queue: BoundedQueue;
  private readonly cfg: ReturnType<typeof defaults>;
  private readonly parser: SyslogParser;
  private readonly notices: PeerNotices;
  private readonly counts: SyslogUdpStats = {
    ...lossStats(),
    droppedQueueFull: 0,
    droppedEmpty: 0,
    invalid: 0,
  };
  private closed = false;
  private boundPort = 0;
  private lastDropReport = 0;

  constructor(private readonly opts: SyslogSourceOptions) {
    this.cfg = defaults('syslogUdp', opts);
    this.parser = new SyslogParser({ zone: this.cfg.zone });
    this.notices = new PeerNotices(opts.logger);
    this.queue = new BoundedQueue({
      maxEvents: this.cfg.maxQueued,
      maxBytes: this.cfg.maxQueuedBytes,
      maxBatch: this.cfg.maxBatch,
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** Datagrams dropped, for any reason (each reason is counted in `stats`). */
  get dropped(): number {
    return this.counts.droppedQueueFull + this.counts.droppedEmpty;
  }

  get queuedBytes(): number {
    return this.queue.byteSize;
  }

  get stats(): SyslogUdpStats {
    return { ...this.counts };
  }

  async open(): Promise<void> {
    if (this.socket !== undefined) return;
    const { bind } = this.cfg;
    const socket = createSocket({ type: bind.includes(':') ? 'udp6' : 'udp4' });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e) => {
        this.socket = undefined;
        socket.close();
        reject(
          ioError(e, `cannot listen on UDP ${bind}:${this.opts.port}`, {
            component: 'syslogUdp',
            field: 'port',
          }),
        );
      });
      socket.bind(this.opts.port, bind, () => {
        this.boundPort = socket.address().port;
        resolve();
      });
    });
    try {
      // Bursts arrive faster than a busy event loop reads them: a larger kernel buffer loses fewer.
      socket.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      // The kernel caps the size (net.core.rmem_max); the default still works.
    }
    socket.on('error', (e) => this.opts.logger?.error(`syslogUdp: ${e.message}`));
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
    const a = socket.address();
    this.opts.logger?.info(
      `syslogUdp: listening on ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port} (UDP)`,
    );
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.closed) return null;
    return this.queue.next();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    const s = this.socket;
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    const c = this.counts;
    if (this.queue.full) {
      c.droppedQueueFull++;
      const now = Date.now();
      if (now - this.lastDropReport > 10_000) {
        this.lastDropReport = now;
        this.opts.logger?.warn(
          `syslogUdp: queue full (${this.queue.size} events, ${this.queue.byteSize} bytes), ${c.droppedQueueFull} datagrams dropped so far`,
        );
      }
      return;
    }
    const peer = rinfo.address;
    if (msg.length === 0) {
      c.droppedEmpty++;
      this.notices.warn(peer, 'empty', () => `syslogUdp: dropped an empty datagram from ${peer}`);
      return;
    }
    const max = this.cfg.maxMessageSize;
    let end = msg.length;
    // Many senders end a datagram with LF (or NUL, or CR LF) though RFC 5426 does not ask for it.
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x0d || msg[end - 1] === 0)) end--;
    let error: string | undefined;
    if (end === 0) {
      // Nothing but NUL, CR or LF: no message, but not nothing either. Delivered raw and flagged
      // invalid, as Flume does with what it cannot parse, so it is seen rather than lost.
      end = msg.length;
      error = `datagram of ${msg.length} bytes holds only NUL, CR or LF bytes`;
    }
    if (end > max) {
      c.cut++;
      c.cutBytes += end - max;
      this.notices.warn(
        peer,
        'cut',
        () =>
          `syslogUdp: a datagram from ${peer} was longer than maxMessageSize ${max}: kept ${max} of ${end} bytes`,
      );
      error ??= `message longer than the limit of ${max} bytes; truncated`;
      end = max;
    }
    const e = this.parser.parse(msg, 0, end, Date.now(), nowNanos(), peer, error);
    if (error !== undefined || e.hasAttr(SYSLOG_PARSE_ERROR)) c.invalid++;
    this.queue.put([e], msg.length);
  }
}

const PORT_DOCS = 'TCP or UDP port to listen on (514 is the privileged standard port; 5140 is usual).';

function commonParams(): ParamSpec[] {
  return [
    { name: 'port', type: 'int', docs: PORT_DOCS },
    {
      name: 'bind',
      type: 'string',
      optional: true,
      configDefault: 'sluice.source.bind',
      docs: 'Address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (all IPv4 interfaces, as a syslog daemon does), :: or one interface address.',
    },
    {
      name: 'zone',
      type: 'string',
      optional: true,
      configDefault: 'sluice.time.zone',
      docs: 'Time zone of RFC 3164 timestamps, which carry none: UTC, local (the process zone) or an IANA name.',
    },
    {
      name: 'maxMessageSize',
      type: 'int',
      optional: true,
      configDefault: 'flume.event.max.size.bytes',
      docs: 'Longest message kept in bytes; longer ones are cut and marked with syslog.parse.error, an octet count above it is skipped to the next newline.',
    },
  ];
}

function options(args: BoundArgs, ctx: BuildContext, component: string, tcp = false): SyslogSourceOptions {
  const zone = syslogZone(args.optString('zone') ?? ctx.config.get('sluice.time.zone'), {
    component,
    field: 'zone',
  });
  const max = args.optInt('maxMessageSize');
  return {
    port: args.int('port'),
    bind: args.optString('bind') ?? ctx.config.getString('sluice.source.bind'),
    zone,
    ...(max !== undefined ? { maxMessageSize: max } : {}),
    ...(tcp
      ? {
          tls: readTlsArgs(args, 'server'),
          limits: readConnectionLimits(args, SYSLOG_TCP_LIMITS),
        }
      : {}),
    logger: ctx.logger,
  };
}

const EVENT_DOCS =
  ' Each message becomes an event whose body is the whole line; facility and severity go to the ' +
  'syslogfacility and syslogseverity attributes, severity also sets the priority, the header timestamp ' +
  'and host set the event fields (the sender address when the message names no host). Messages that do ' +
  'not parse are kept, with a syslog.parse.error attribute.';

const TLS_DOCS =
  ' With ssl=true, keyFile and certFile it serves syslog over TLS (RFC 5425); caFile requires client certificates.';

const TCP_PARAMS = (): ParamSpec[] => [
  ...commonParams(),
  ...tlsParams('server'),
  ...connectionLimitParams(SYSLOG_TCP_LIMITS, SYSLOG_LIMIT_DOCS),
];

export const syslogUdpSource: SourceDef = {
  kind: 'source',
  name: 'syslogUdp',
  docs: `Syslog over UDP (RFC 3164 and RFC 5424, one message per datagram): syslog compatible.${EVENT_DOCS} When events arrive faster than the flow takes them, datagrams are dropped and counted.`,
  params: commonParams(),
  build: (args, ctx) => new SyslogUdpSource(options(args, ctx, 'syslogUdp')),
};

export const syslogTcpSource: SourceDef = {
  kind: 'source',
  name: 'syslogTcp',
  docs: `Syslog over TCP (syslog-ng and rsyslog compatible): many concurrent connections, each message framed by a newline or an RFC 6587 octet count.${EVENT_DOCS} When the flow falls behind, sockets are paused (TCP backpressure).${TLS_DOCS}`,
  params: TCP_PARAMS(),
  build: (args, ctx) => new SyslogTcpSource(options(args, ctx, 'syslogTcp', true)),
};

export const syslogTcp1Source: SourceDef = {
  kind: 'source',
  name: 'syslogTcp1',
  docs: `Syslog over TCP for a single connection: the source stops listening once a peer connects and finishes (next() returns null) when that connection closes.${EVENT_DOCS}${TLS_DOCS}`,
  params: TCP_PARAMS(),
  build: (args, ctx) => new SyslogTcpSource(options(args, ctx, 'syslogTcp1', true), true),
};

// Flume NG forms: the NG properties mapped onto the same classes.

function ngOptions(
  p: ComponentProperties,
  ctx: BuildContext,
  tcp = false,
  port = p.int('port'),
): SyslogSourceOptions {
  const logger = ctx.logger.child(p.component);
  return {
    port,
    bind: p.string('host'),
    maxMessageSize: p.int('eventSize'),
    maxBatch: p.int('batchSize'),
    ...(tcp ? { tls: readNgServerTls(p, logger), limits: readConnectionLimits(p, SYSLOG_TCP_LIMITS) } : {}),
    logger,
  };
}

const NG_PROPS = [
  { name: 'host', type: 'string', required: true, docs: 'Address to listen on.' },
  { name: 'port', type: 'int', required: true, min: 0, docs: 'Port to listen on (0 picks a free one).' },
  {
    name: 'eventSize',
    type: 'int',
    default: '2500',
    min: 16,
    docs: 'Longest message kept, in bytes; longer ones are cut, an octet count above it is skipped to the next newline.',
  },
  {
    name: 'batchSize',
    type: 'int',
    default: '100',
    min: 1,
    docs: 'Most events per batch put into the channels.',
  },
  {
    name: 'keepFields',
    type: 'string',
    default: 'none',
    docs: 'Accepted for compatibility: the body is always the whole message line.',
  },
] as const;

const NG_EVENTS =
  ' Each message is an event whose body is the whole message; facility and severity go to the headers ' +
  'syslogfacility and syslogseverity; messages that do not parse are kept with syslog.parse.error and ' +
  'flume.syslog.status headers.';

export const syslogTcpNgSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'syslogtcp',
  docs: `Flume NG syslogtcp source: syslog over TCP, messages framed by newlines or RFC 6587 octet counts.${NG_EVENTS} A busy channel pauses the sockets (TCP backpressure). With ssl = true and a PEM keystore it serves syslog over TLS (RFC 5425); ssl-ca requires client certificates.`,
  properties: [...NG_PROPS, ...NG_SERVER_TLS_PROPERTIES, ...SYSLOG_LIMIT_PROPERTIES],
  create: (p, ctx) => new SyslogTcpSource(ngOptions(p, ctx, true)),
};

export const syslogUdpNgSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'syslogudp',
  docs: `Flume NG syslogudp source: syslog over UDP, one message per datagram.${NG_EVENTS} Datagrams arriving while the queue is full are dropped and counted.`,
  properties: NG_PROPS,
  create: (p, ctx) => new SyslogUdpSource(ngOptions(p, ctx)),
};

/** Flume's `ports`: space-separated port numbers, each once. */
function readPorts(p: ComponentProperties): number[] {
  const ports: number[] = [];
  for (const text of p.list('ports')) {
    const port = Number(text);
    if (!/^\d+$/.test(text) || port > 65535)
      throw p.error('ports', `ports must be port numbers between 0 and 65535, got "${text}"`);
    if (port !== 0 && ports.includes(port)) throw p.error('ports', `ports names ${port} twice`);
    ports.push(port);
  }
  if (ports.length === 0) throw p.error('ports', 'ports names no port');
  return ports;
}

export const multiportSyslogTcpNgSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'multiport_syslogtcp',
  docs: `Flume NG multiport_syslogtcp source: syslogtcp listening on several ports (ports = 5140 5141) with one queue; with portHeader each event records the port it came in on.${NG_EVENTS} Connection limits apply per port; a busy channel pauses every port (TCP backpressure). TLS as for syslogtcp.`,
  properties: [
    NG_PROPS[0],
    {
      name: 'ports',
      type: 'list',
      required: true,
      docs: 'Space-separated ports to listen on (0 picks a free one).',
    },
    {
      name: 'portHeader',
      type: 'string',
      docs: 'Name of a header holding the port each message came in on; none when unset.',
    },
    ...NG_PROPS.slice(2),
    {
      name: 'readBufferSize',
      type: 'int',
      default: '1024',
      min: 1,
      docs: 'Accepted for compatibility: sockets are read as data arrives.',
    },
    {
      name: 'numProcessors',
      type: 'int',
      min: 1,
      docs: 'Accepted for compatibility: one event loop serves every port.',
    },
    ...NG_SERVER_TLS_PROPERTIES,
    ...SYSLOG_LIMIT_PROPERTIES,
  ],
  create: (p, ctx) => {
    const ports = readPorts(p);
    const header = p.optString('portHeader');
    return new SyslogTcpSource({
      ...ngOptions(p, ctx, true, ports[0]!),
      ports,
      ...(header !== undefined && header !== '' ? { portHeader: header } : {}),
    });
  },
};
