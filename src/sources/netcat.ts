import type { Server, Socket } from 'node:net';
import type { NgSourceDef } from '../catalog/ng.js';
import { ioError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { loadTls, type TlsArgs } from '../rpc/avro/component-options.js';
import { NG_SERVER_TLS_PROPERTIES, readNgServerTls, socketServer } from '../rpc/tls.js';
import { EventQueue, LineSplitter, MAX_BATCH } from './lines.js';

/** Above this many queued events, connections are paused until the agent catches up (backpressure). */
const HIGH_WATER = 10 * MAX_BATCH;

/**
 * Flume NG's netcat source: a TCP server, one event per line, answering "OK" per line when
 * ack-every-event is on. Lines longer than max-line-length are cut (and the rest dropped), as Flume does.
 * With `tls` the lines (and OKs) travel inside TLS; a client that does not speak TLS is dropped at the
 * handshake. There is no token: `caFile` (client certificates) is how to admit only known senders.
 */
export class NetcatSource implements EventSource {
  private server: Server | undefined;
  private readonly queue = new EventQueue();
  private readonly sockets = new Set<Socket>();
  private waiter: ((b: Batch | null) => void) | undefined;
  private closed = false;

  constructor(
    private readonly bind: string,
    private readonly port: number,
    private readonly maxLine: number,
    private readonly ack: boolean,
    private readonly tls?: TlsArgs | undefined,
    private readonly logger?: Logger | undefined,
    private readonly name = 'netcat',
  ) {}

  get address(): { port: number } {
    return this.server!.address() as { port: number };
  }

  open(): Promise<void> {
    let server: Server;
    try {
      const t = this.tls?.ssl ? loadTls(this.tls, this.name, 'server') : undefined;
      server = socketServer(
        t,
        (s) => this.accept(s),
        // The logger is the component's own (its lines already name it).
        (peer, reason) => this.logger?.warn(`TLS handshake with ${peer} failed: ${reason}`),
      );
    } catch (e) {
      return Promise.reject(e);
    }
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (e) =>
        reject(ioError(e, `netcat source cannot listen on ${this.bind}:${this.port}`)),
      );
      server.listen(this.port, this.bind, () => resolve());
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const splitter = new LineSplitter({ stripCr: true });
    const out: Event[] = [];
    socket.on('data', (chunk: Buffer) => {
      splitter.push(chunk, out);
      if (out.length === 0) return;
      for (const e of out) {
        if (e.body.length > this.maxLine) e.body = e.body.subarray(0, this.maxLine);
        this.queue.items.push(e);
      }
      if (this.ack) socket.write('OK\n'.repeat(out.length));
      out.length = 0;
      this.deliver();
      if (this.queue.size > HIGH_WATER) socket.pause();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private deliver(): void {
    if (!this.waiter) return;
    const b = this.queue.take();
    if (!b) return;
    const w = this.waiter;
    this.waiter = undefined;
    w(b);
  }

  next(): Batch | null | Promise<Batch | null> {
    const b = this.queue.take();
    if (this.queue.size < HIGH_WATER) for (const s of this.sockets) if (s.isPaused()) s.resume();
    if (b) return b;
    if (this.closed) return null;
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  close(): Promise<void> {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    this.waiter?.(this.queue.take());
    this.waiter = undefined;
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export const netcatSource: NgSourceDef = {
  kind: 'ng-source',
  type: 'netcat',
  aliases: ['netcattcp'],
  docs:
    'A TCP server turning each line it receives into an event (Flume NG netcat source); answers "OK" per line. ' +
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
    { name: 'ack-every-event', type: 'bool', default: 'true', docs: 'Answer "OK" for every line.' },
    ...NG_SERVER_TLS_PROPERTIES,
  ],
  create: (p, ctx) => {
    const logger = ctx.logger.child(p.component);
    return new NetcatSource(
      p.string('bind'),
      p.int('port'),
      p.int('max-line-length'),
      p.bool('ack-every-event'),
      readNgServerTls(p, logger),
      logger,
      p.component,
    );
  },
};
