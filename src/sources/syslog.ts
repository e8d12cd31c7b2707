import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import { checkPort } from '../catalog/ports.js';
import type { BoundArgs, BuildContext, ParamSpec, SourceDef } from '../catalog/types.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import { limits, nowNanos } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { loadTls, type TlsArgs } from '../rpc/avro/component-options.js';
import { SyslogFramer } from '../rpc/syslog/framing.js';
import { SyslogParser } from '../rpc/syslog/parse.js';
import { syslogZone, type Zone } from '../rpc/syslog/zone.js';
import { readTlsArgs, socketServer, tlsParams } from '../rpc/tls.js';

/**
 * Syslog receivers: syslogUdp(port), syslogTcp(port) (many connections) and syslogTcp1(port) (one
 * connection, then the source is drained and finishes). Parsing and framing live in rpc/syslog; this
 * file owns sockets, the event queue and backpressure. See docs/syslog.md.
 */

export interface SyslogSourceOptions {
  port: number;
  /** Address to listen on; "0.0.0.0" (every IPv4 interface) like a syslog daemon. */
  bind?: string;
  zone?: Zone;
  /** Longest message kept (longer ones are cut and marked); default flume.event.max.size.bytes. */
  maxMessageSize?: number;
  /** Events buffered before TCP sockets are paused (UDP datagrams are dropped and counted instead);
   * default 16,384 for TCP, 100,000 for UDP. */
  maxQueued?: number;
  /** Most events handed out by one next(). */
  maxBatch?: number;
  /** TCP only: serve TLS (RFC 5425) with these PEM files, read at open. */
  tls?: TlsArgs | undefined;
  logger?: Logger;
}

/**
 * Events waiting for next(): batches as they came from the sockets, small ones merged. Producers call
 * `put`; when the queue holds `maxQueued` events `onFull` runs (pause sockets), and `onRoom` when it has
 * drained to half.
 */
class EventQueue {
  private ready: Batch[] = [];
  private queued = 0;
  private waiter: ((b: Batch | null) => void) | null = null;
  private done = false;
  full = false;

  constructor(
    private readonly maxQueued: number,
    private readonly maxBatch: number,
    private readonly onFull: () => void,
    private readonly onRoom: () => void,
  ) {}

  get size(): number {
    return this.queued;
  }

  put(events: Event[]): void {
    if (events.length === 0 || this.done) return;
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      w(events);
      return;
    }
    const last = this.ready.length > 0 ? this.ready[this.ready.length - 1]! : undefined;
    if (last !== undefined && last.length + events.length <= this.maxBatch && events.length < 64) {
      for (let i = 0; i < events.length; i++) last.push(events[i]!);
    } else this.ready.push(events);
    this.queued += events.length;
    if (!this.full && this.queued >= this.maxQueued) {
      this.full = true;
      this.onFull();
    }
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.ready.length > 0) {
      const b = this.ready.shift()!;
      this.queued -= b.length;
      if (this.full && this.queued <= this.maxQueued >> 1) {
        this.full = false;
        this.onRoom();
      }
      return b;
    }
    if (this.done) return null;
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** No more input: next() drains what is queued, then returns null. */
  finish(): void {
    this.done = true;
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      w(null);
    }
  }

  /** Drops everything: a pending next() and all later ones return null. */
  clear(): void {
    this.ready = [];
    this.queued = 0;
    this.finish();
  }
}

/**
 * Events queued before TCP sockets pause. Small on purpose: TCP holds the rest in kernel buffers, and
 * events that wait long survive young-generation collections, so a deep queue (100,000 measured)
 * made GC the largest cost of a loaded receiver. UDP cannot push back, so it keeps a deep queue for bursts.
 */
const TCP_MAX_QUEUED = 16_384;
const UDP_MAX_QUEUED = 100_000;

function defaults(name: string, opts: SyslogSourceOptions) {
  const _port = checkPort(name, opts.port);
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
  return {
    bind: opts.bind ?? '0.0.0.0',
    zone: opts.zone ?? syslogZone('UTC'),
    maxMessageSize: max,
    maxQueued: opts.maxQueued ?? (name === 'syslogUdp' ? UDP_MAX_QUEUED : TCP_MAX_QUEUED),
    maxBatch: opts.maxBatch ?? 4096,
  };
}

/** A TCP syslog receiver; `single` makes it syslogTcp1 (first connection only, then finished). */
export class SyslogTcpSource implements EventSource {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly queue: EventQueue;
  private readonly cfg: ReturnType<typeof defaults>;
  private closed = false;
  private boundPort = 0;
  /** Connections accepted over the source's life. */
  connections = 0;

  constructor(
    private readonly opts: SyslogSourceOptions,
    private readonly single = false,
  ) {
    this.cfg = defaults(this.name, opts);
    this.queue = new EventQueue(
      this.cfg.maxQueued,
      this.cfg.maxBatch,
      () => {
        for (const s of this.sockets) s.pause();
      },
      () => {
        for (const s of this.sockets) s.resume();
      },
    );
  }

  get name(): string {
    return this.single ? 'syslogTcp1' : 'syslogTcp';
  }

  /** The port listened on (the real one when 0 was asked for). */
  get port(): number {
    return this.boundPort;
  }

  /** Events waiting for next(). */
  get queued(): number {
    return this.queue.size;
  }

  async open(): Promise<void> {
    if (this.server !== undefined) return;
    const t = this.opts.tls?.ssl ? loadTls(this.opts.tls, this.name, 'server') : undefined;
    const server = socketServer(
      t,
      (s) => this.accept(s),
      (peer, reason) => this.opts.logger?.warn(`${this.name}: TLS handshake with ${peer} failed: ${reason}`),
    );
    this.server = server;
    const { bind } = this.cfg;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => {
        this.server = undefined;
        reject(
          ioError(e, `cannot listen on TCP ${bind}:${this.opts.port}`, {
            component: this.name,
            field: 'port',
          }),
        );
      });
      server.listen(this.opts.port, bind, () => {
        const a = server.address();
        this.boundPort = typeof a === 'object' && a !== null ? a.port : this.opts.port;
        resolve();
      });
    });
    server.on('error', (e) => this.opts.logger?.error(`${this.name}: ${e.message}`));
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.closed) return null;
    return this.queue.next();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.closed || (this.single && this.connections > 0)) {
      socket.destroy();
      return;
    }
    this.connections++;
    // syslogTcp1 serves exactly one peer: stop listening so the port is free once it is done.
    if (this.single) this.server?.close();
    this.sockets.add(socket);
    if (this.queue.full) socket.pause();
    const peer = socket.remoteAddress ?? 'unknown';
    const framer = new SyslogFramer(new SyslogParser({ zone: this.cfg.zone }), peer, this.cfg.maxMessageSize);
    socket.on('data', (chunk: Buffer) => {
      const out: Event[] = [];
      framer.push(chunk, out);
      this.queue.put(out);
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.sockets.delete(socket);
      if (this.closed) return;
      const out: Event[] = [];
      framer.end(out);
      this.queue.put(out);
      if (this.single) this.queue.finish();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', (e) => this.opts.logger?.debug(`${this.name}: connection from ${peer}: ${e.message}`));
  }
}

/** A UDP syslog receiver: one message per datagram (RFC 5426). */
export class SyslogUdpSource implements EventSource {
  private socket: UdpSocket | undefined;
  private readonly queue: EventQueue;
  private readonly cfg: ReturnType<typeof defaults>;
  private readonly parser: SyslogParser;
  private closed = false;
  private boundPort = 0;
  private lastDropReport = 0;
  /** Datagrams dropped because the queue was full (UDP has no way to slow a sender down). */
  dropped = 0;

  constructor(private readonly opts: SyslogSourceOptions) {
    this.cfg = defaults('syslogUdp', opts);
    this.parser = new SyslogParser({ zone: this.cfg.zone });
    this.queue = new EventQueue(
      this.cfg.maxQueued,
      this.cfg.maxBatch,
      () => {},
      () => {},
    );
  }

  get port(): number {
    return this.boundPort;
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
    if (this.queue.full) {
      this.dropped++;
      const now = Date.now();
      if (now - this.lastDropReport > 10_000) {
        this.lastDropReport = now;
        this.opts.logger?.warn(`syslogUdp: queue full, ${this.dropped} datagrams dropped so far`);
      }
      return;
    }
    let end = msg.length;
    // Many senders end a datagram with LF (or NUL, or CR LF) though RFC 5426 does not ask for it.
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x0d || msg[end - 1] === 0)) end--;
    if (end === 0) return;
    const max = this.cfg.maxMessageSize;
    const error = end > max ? `message longer than the limit of ${max} bytes; truncated` : undefined;
    const e = this.parser.parse(msg, 0, Math.min(end, max), Date.now(), nowNanos(), rinfo.address, error);
    this.queue.put([e]);
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
      default: '0.0.0.0',
      docs: 'Address to listen on: 0.0.0.0 (all IPv4 interfaces, as a syslog daemon does), 127.0.0.1, :: ...',
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
      docs: 'Longest message kept in bytes; longer ones are cut and marked with syslog.parse.error.',
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
    bind: args.optString('bind') ?? '0.0.0.0',
    zone,
    ...(max !== undefined ? { maxMessageSize: max } : {}),
    ...(tcp ? { tls: readTlsArgs(args, 'server') } : {}),
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
  params: [...commonParams(), ...tlsParams('server')],
  build: (args, ctx) => new SyslogTcpSource(options(args, ctx, 'syslogTcp', true)),
};

export const syslogTcp1Source: SourceDef = {
  kind: 'source',
  name: 'syslogTcp1',
  docs: `Syslog over TCP for a single connection: the source stops listening once a peer connects and finishes (next() returns null) when that connection closes.${EVENT_DOCS}${TLS_DOCS}`,
  params: [...commonParams(), ...tlsParams('server')],
  build: (args, ctx) => new SyslogTcpSource(options(args, ctx, 'syslogTcp1', true), true),
};
