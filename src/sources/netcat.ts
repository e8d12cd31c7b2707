import type { Socket } from 'node:net';
import type { NgSourceDef } from '../catalog/ng.js';
import {
  CONNECTION_LIMIT_PROPERTIES,
  readConnectionLimits,
} from '../components/options/connection-limits.js';
import { NG_SERVER_TLS_PROPERTIES, readNgServerTls } from '../components/options/tls.js';
import { acked } from '../core/ack.js';
import type { Batch, Event } from '../core/event.js';
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
import { BoundedQueue } from './bounded-queue.js';
import { GuardedListener } from './guarded-listener.js';
import { LineSplitter, MAX_BATCH } from './lines.js';

/** At this many queued events, connections are paused until the agent catches up (backpressure). */
const HIGH_WATER = 10 * MAX_BATCH;
/** The same in bytes (line bytes plus a per-event overhead), so long lines cannot fill memory first. */
const HIGH_WATER_BYTES = 16 * 1024 * 1024;

export interface NetcatStats {
  connections: GuardStats;
  tlsFailed: number;
  /** Lines longer than max-line-length, delivered cut. */
  cut: number;
  /** Bytes cut from them. */
  cutBytes: number;
}

/** Consecutive queued lines from one connection: whom to answer once their batch is acked. */
interface Run {
  socket: Socket;
  count: number;
}

/**
 * Flume NG's netcat source: a TCP server, one event per line, answering "OK" per line once the line's
 * batch was acked ok (put into the channels: docs/acks.md) when ack-every-event is on, and
 * "FAILED: <reason>" per line when its batch failed, as Flume's NetcatSource answers after
 * `processEvent`. Lines longer than max-line-length are cut (and the rest dropped), as Flume does;
 * each cut is counted and logged once per peer. With `tls` the lines (and OKs) travel inside TLS; a client
 * that does not speak TLS is dropped at the handshake. There is no token: `caFile` (client certificates)
 * is how to admit only known senders. Connections pass the port's ConnectionGuard (limit and timeouts).
 */
export class NetcatSource implements EventSource {
  private listener: GuardedListener | undefined;
  private readonly queue = new BoundedQueue({
    maxEvents: HIGH_WATER,
    maxBytes: HIGH_WATER_BYTES,
    maxBatch: MAX_BATCH,
    onFull: () => this.listener?.hold(),
    onRoom: () => this.listener?.release(),
    onTake: (b) => this.acked(b),
  });
  /** Who sent the queued lines, in queue order. */
  private runs: Run[] = [];
  private runHead = 0;
  private readonly notices: PeerNotices;
  private cut = 0;
  private cutBytes = 0;

  constructor(
    private readonly bind: string,
    private readonly port: number,
    private readonly maxLine: number,
    private readonly ack: boolean,
    private readonly tls?: TlsArgs | undefined,
    private readonly logger?: Logger | undefined,
    private readonly name = 'netcat',
    private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
  ) {
    this.notices = new PeerNotices(logger);
  }

  get address(): { port: number } {
    return { port: this.listener?.port ?? 0 };
  }

  get stats(): NetcatStats {
    const l = this.listener;
    return {
      connections: { ...(l?.guard.stats ?? emptyGuardStats()) },
      tlsFailed: l?.tlsFailed ?? 0,
      cut: this.cut,
      cutBytes: this.cutBytes,
    };
  }

  async open(): Promise<void> {
    const tls = this.tls?.ssl ? loadTls(this.tls, this.name, 'server') : undefined;
    const listener = new GuardedListener({
      component: this.name,
      bind: this.bind,
      port: this.port,
      tls,
      limits: this.limits,
      logger: this.logger,
      onConnection: (s, conn) => this.accept(s, conn),
    });
    this.listener = listener;
    await listener.listen();
  }

  private accept(socket: Socket, conn: GuardedConnection): () => boolean {
    const splitter = new LineSplitter({ stripCr: true });
    const peer = socket.remoteAddress ?? 'unknown';
    socket.on('data', (chunk: Buffer) => {
      conn.activity();
      const out: Event[] = [];
      splitter.push(chunk, out);
      conn.partial(splitter.holding > 0);
      if (out.length === 0) return;
      let bytes = 0;
      for (const e of out) {
        const n = e.bodyLength;
        if (n > this.maxLine) {
          e.body = e.body.subarray(0, this.maxLine);
          this.lineCut(peer, n);
        }
        bytes += e.bodyLength;
      }
      // Before the put: a waiting next() takes the lines at once and looks for their senders.
      this.runs.push({ socket, count: out.length });
      this.queue.put(out, bytes);
    });
    socket.on('error', () => socket.destroy());
    return () => splitter.holding > 0;
  }

  private lineCut(peer: string, length: number): void {
    this.cut++;
    this.cutBytes += length - this.maxLine;
    this.notices.warn(
      peer,
      'cut',
      () => `${this.name}: a line from ${peer} of ${length} bytes was cut to max-line-length ${this.maxLine}`,
    );
  }

  /** A batch handed out: its senders are answered once it is acked. */
  private acked(b: Batch): Batch {
    const senders = this.senders(b.length);
    return acked(b, (error) => {
      if (error === undefined && !this.ack) return;
      const line = error === undefined ? 'OK\n' : `FAILED: ${error.message.replace(/\n/g, ' ')}\n`;
      for (const r of senders) this.answer(r.socket, line.repeat(r.count));
    });
  }

  /** The runs of the next `n` queued lines. */
  private senders(n: number): Run[] {
    const out: Run[] = [];
    while (n > 0) {
      const r = this.runs[this.runHead]!;
      if (r.count <= n) {
        out.push(r);
        n -= r.count;
        this.runHead++;
      } else {
        out.push({ socket: r.socket, count: n });
        r.count -= n;
        n = 0;
      }
    }
    if (this.runHead === this.runs.length) {
      this.runs = [];
      this.runHead = 0;
    }
    return out;
  }

  /** A client that does not read its answers must not make them pile up here: stop reading it until they drain. */
  private answer(socket: Socket, text: string): void {
    if (socket.destroyed || !socket.writable) return;
    if (!socket.write(text)) {
      socket.pause();
      socket.once('drain', () => {
        if (!this.queue.full) socket.resume();
      });
    }
  }

  next(): Batch | null | Promise<Batch | null> {
    return this.queue.next();
  }

  /** Lines already queued are still handed out; their senders hear nothing once disconnected. */
  async close(): Promise<void> {
    this.queue.finish();
    await this.listener?.close();
  }
}

export const netcatSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'netcat',
  aliases: ['netcattcp'],
  docs:
    'A TCP server turning each line it receives into an event (Flume NG netcat source); answers "OK" per line once ' +
    'the line was delivered (committed to the channels, or accepted by a node\'s sinks), and "FAILED: <reason>" ' +
    'per line of a batch that was not. ' +
    'Sluice-specific: with ssl = true and a PEM keystore (or ssl-key and ssl-cert) it serves the same lines ' +
    'over TLS; ssl-ca requires client certificates.',
  properties: [
    { name: 'bind', type: 'string', required: true, docs: 'Address to listen on.' },
    { name: 'port', type: 'int', required: true, min: 0, docs: 'Port to listen on.' },
    {
      name: 'max-line-length',
      type: 'int',
      default: '512',
      min: 1,
      docs: 'Longer lines are cut to this many bytes.',
    },
    {
      name: 'ack-every-event',
      type: 'bool',
      default: 'true',
      docs: 'Answer "OK" for every line once it was delivered.',
    },
    ...NG_SERVER_TLS_PROPERTIES,
    ...CONNECTION_LIMIT_PROPERTIES,
  ],
  create: (p, ctx) =>
    // The listener prefixes its lines with the component name itself: give it the agent's logger.
    new NetcatSource(
      p.string('bind'),
      p.int('port'),
      p.int('max-line-length'),
      p.bool('ack-every-event'),
      readNgServerTls(p, ctx.logger.child(p.component)),
      ctx.logger,
      p.component,
      readConnectionLimits(p),
    ),
};
