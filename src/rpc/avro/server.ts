import type net from 'node:net';
import { ByteWriter } from '../../core/byte-writer.js';
import { ioError, type SluiceError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import {
  ConnectionGuard,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  type GuardedConnection,
  type GuardStats,
  listeningOn,
} from '../connection-guard.js';
import { guardedSocketServer, listenGuarded, type TlsOptions } from '../tls.js';
import { DEFAULT_HANDSHAKE_FRAME_SIZE } from './frame.js';
import { HandshakeResponder } from './handshake.js';
import { OK_HEAD, readRequestHead, systemErrorBody } from './message.js';
import type { AvroProtocol } from './protocols.js';
import { FrameTransport, type TransportOptions } from './transport.js';
import { Reader } from './wire.js';

export interface PeerInfo {
  /** The peer's IP address as the socket reports it. */
  address: string;
  port: number;
  /**
   * Set when the connection is gone: a handler still holding one of its requests can drop it instead of
   * acting on it (nobody will read the answer, and the sender will send it again).
   */
  closed?: boolean;
}

/**
 * How a server handles one message: decode the request parameters, act, encode the response value.
 * Decoding and encoding are the handler's so hot messages (appendBatch) can go straight between bytes and
 * Sluice events. `handle` may return a promise to delay the answer (backpressure); the connection's next
 * request waits for it, since one connection's requests are answered in order.
 */
export interface MessageHandler<Req, Res> {
  decode(r: Reader, peer: PeerInfo): Req;
  handle(req: Req, peer: PeerInfo): Res | Promise<Res>;
  encode(w: ByteWriter, res: Res): void;
}

/** A handler with its types erased, for the server's table. */
export interface AnyHandler {
  decode(r: Reader, peer: PeerInfo): unknown;
  handle(req: unknown, peer: PeerInfo): unknown;
  encode(w: ByteWriter, res: unknown): void;
}

export function handler<Req, Res>(h: MessageHandler<Req, Res>): AnyHandler {
  return h as unknown as AnyHandler;
}

// The socket server's TLS options, re-exported for the Avro components that name them from here.
export type { TlsOptions } from '../tls.js';

export interface AvroServerOptions extends TransportOptions {
  protocol: AvroProtocol;
  handlers: Record<string, AnyHandler>;
  port: number;
  host?: string | undefined;
  tls?: TlsOptions | undefined;
  /** When set, a client must present this secret in its handshake meta (`sluice.token`). */
  token?: string | undefined;
  /**
   * Further protocols spoken on the same port, chosen by the client's handshake (see HandshakeResponder);
   * `handlers` then holds the messages of all of them, each connection reaching only its protocol's.
   */
  extensions?: readonly AvroProtocol[] | undefined;
  /** Requests read ahead on one connection before we stop reading its socket (TCP backpressure). */
  maxQueuedRequests?: number | undefined;
  /** Bytes of requests read ahead on one connection before we stop reading its socket. */
  maxQueuedBytes?: number | undefined;
  /**
   * Requests of one connection handled at once (default 1: the next waits for the answer to the last).
   * A source that answers only once a batch is delivered (docs/acks.md) handles several, so a
   * pipelining client keeps its window full; answers still go out in request order.
   */
  maxInFlight?: number | undefined;
  /**
   * Bytes a first frame may buffer before the handshake at its head is accepted (token included); the
   * rest of a large first request is read only then (FrameDecoder's gate).
   */
  handshakeFrameSize?: number | undefined;
  /** Connections at once, idle, read and handshake timeouts (ConnectionGuard). */
  limits?: ConnectionLimits | undefined;
  logger?: Logger | undefined;
  /** Used in log lines and errors (a component name). */
  name?: string | undefined;
}

/** Requests read ahead per connection unless configured: enough to keep a pipelining client busy. */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** An Avro IPC server over Netty framing: many connections, each answered in request order. */
export class AvroServer {
  private server: net.Server | undefined;
  private readonly connections = new Set<ServerConnection>();
  readonly responder: HandshakeResponder;
  readonly logger: Logger;
  readonly guard: ConnectionGuard;
  private boundPort = 0;

  constructor(readonly opts: AvroServerOptions) {
    this.responder = new HandshakeResponder(opts.protocol, {
      token: opts.token,
      extensions: opts.extensions,
    });
    this.logger = opts.logger ?? createLogger();
    // Components hand a logger already prefixed with their name.
    this.guard = new ConnectionGuard(
      opts.name ? 'avro port' : 'avro server',
      opts.limits ?? DEFAULT_CONNECTION_LIMITS,
      this.logger,
    );
  }

  get port(): number {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections accepted, refused and closed by the limits (see ConnectionGuard). */
  get connectionStats(): Readonly<GuardStats> {
    return this.guard.stats;
  }

  /** Request bytes held for all connections: read ahead and not yet handled, or half-received. */
  get heldBytes(): number {
    let n = 0;
    for (const c of this.connections) n += c.heldBytes;
    return n;
  }

  /** Where the port listens, for the start-up line (`127.0.0.1:35853`). */
  get address(): string {
    return this.server ? listeningOn(this.server) : 'not listening';
  }

  async listen(): Promise<number> {
    const host = this.opts.host ?? '127.0.0.1';
    const server = guardedSocketServer(
      this.opts.tls,
      this.guard,
      (s, conn) => this.accept(s, conn),
      (peer, reason) => this.logger.warn(`${this.label()}: TLS handshake with ${peer} failed: ${reason}`),
    );
    this.boundPort = await listenGuarded(
      server,
      this.guard,
      this.opts.port,
      host,
      (e) => ioError(e, `cannot listen on ${host}:${this.opts.port}`, this.place()),
      (e) => this.logger.error(`${this.label()}: ${e.message}`),
    );
    this.server = server;
    return this.boundPort;
  }

  /** Stops accepting, drops every connection (their pending answers are abandoned) and releases the port. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    this.guard.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  label(): string {
    return `${this.opts.name ?? 'avro server'} on port ${this.boundPort || this.opts.port}`;
  }

  private place() {
    return this.opts.name ? { component: this.opts.name } : undefined;
  }

  private accept(socket: net.Socket, guarded: GuardedConnection): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    const c = new ServerConnection(this, socket, guarded);
    this.connections.add(c);
    socket.on('close', () => {
      this.connections.delete(c);
      c.destroy();
    });
  }
}

interface QueuedFrame {
  serial: number;
  payload: Buffer;
}

class ServerConnection {
  private readonly transport: FrameTransport;
  private readonly peer: PeerInfo;
  private readonly queue: QueuedFrame[] = [];
  /** Payload bytes in `queue`. */
  private queuedBytes = 0;
  /** Requests handled and not yet answered. */
  private inFlight = 0;
  private readonly maxInFlight: number;
  /** Requests handed to process() so far, and answers sent (or skipped, for one-way messages) so far. */
  private dispatched = 0;
  private answered = 0;
  /** Answers ready before an earlier request's: sent when their turn comes. */
  private readonly early = new Map<number, { serial: number; parts: Buffer[] | undefined }>();
  private paused = false;
  private connected = false;
  /** The protocol the handshake settled on (the server's own unless the client chose an extension). */
  private protocol: AvroProtocol;
  private closing = false;
  private readonly writer = new ByteWriter(256);
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;

  constructor(
    private readonly server: AvroServer,
    socket: net.Socket,
    private readonly guarded: GuardedConnection,
  ) {
    this.peer = { address: socket.remoteAddress ?? 'unknown', port: socket.remotePort ?? 0 };
    this.protocol = server.opts.protocol;
    this.maxQueued = server.opts.maxQueuedRequests ?? 64;
    this.maxQueuedBytes = server.opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.maxInFlight = server.opts.maxInFlight ?? 1;
    this.transport = new FrameTransport(
      socket,
      server.opts,
      (serial, payload) => this.onFrame(serial, payload),
      (err) => this.fail(err),
    );
    this.transport.track(guarded);
    this.transport.setGate(
      (prefix) => server.responder.gate(prefix),
      server.opts.handshakeFrameSize ?? DEFAULT_HANDSHAKE_FRAME_SIZE,
    );
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A peer vanishing mid-stream is routine for a server; only say so when debugging.
      this.server.logger.debug(`${this.server.label()}: connection from ${this.peerText()}: ${e.message}`);
    });
  }

  get heldBytes(): number {
    return this.queuedBytes + this.transport.pendingBytes;
  }

  /** Drops the connection and everything it holds (queued requests, a half-received frame). */
  destroy(): void {
    this.closing = true;
    this.peer.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.transport.destroy();
  }

  private peerText(): string {
    return `${this.peer.address}:${this.peer.port}`;
  }

  private onFrame(serial: number, payload: Buffer): void {
    if (this.closing) return;
    this.queue.push({ serial, payload });
    this.queuedBytes += payload.length;
    if (
      !this.paused &&
      (this.queue.length + this.inFlight >= this.maxQueued || this.queuedBytes >= this.maxQueuedBytes)
    ) {
      this.paused = true;
      this.transport.pause();
    }
    if (this.inFlight < this.maxInFlight) this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0 && !this.closing) {
      const f = this.queue.shift()!;
      let r: void | Promise<void>;
      try {
        r = this.process(this.dispatched++, f.serial, f.payload);
      } catch (e) {
        this.fail(e as SluiceError);
        return;
      }
      if (r) {
        // A request being handled still holds its bytes (its events are views of the frame): it counts
        // against the read-ahead limits until answered.
        this.inFlight++;
        r.then(
          () => {
            this.inFlight--;
            if (!this.closing) this.queuedBytes -= f.payload.length;
            this.pump();
          },
          (e: SluiceError) => this.fail(e),
        );
      } else this.queuedBytes -= f.payload.length;
    }
    if (
      this.paused &&
      !this.closing &&
      this.queue.length + this.inFlight <= this.maxQueued >> 1 &&
      this.queuedBytes <= this.maxQueuedBytes >> 1
    ) {
      this.paused = false;
      this.transport.resume();
    }
  }

  private process(index: number, serial: number, payload: Buffer): void | Promise<void> {
    const r = new Reader(payload);
    let hs: Buffer | undefined;
    if (!this.connected) {
      const outcome = this.server.responder.respond(r);
      hs = outcome.response;
      if (outcome.status === 'retry') {
        this.send(index, serial, [hs]);
        return;
      }
      if (outcome.status === 'refused') {
        this.server.logger.warn(`${this.server.label()}: refused ${this.peerText()}: ${outcome.reason}`);
        this.send(index, serial, [hs, systemErrorBody(`connection refused: ${outcome.reason}`)]);
        this.closing = true;
        this.transport.end();
        return;
      }
      this.connected = true;
      this.protocol = outcome.serverProtocol;
      this.transport.openGate();
      this.guarded.handshakeDone();
    }
    const name = readRequestHead(r);
    if (name === '') {
      // A ping: only the handshake answers it. Once connected there is none, and an empty frame (count 0)
      // would desync Java, so the frame carries one empty buffer.
      this.send(index, serial, hs ? [hs] : []);
      return;
    }
    const { handlers } = this.server.opts;
    const protocol = this.protocol;
    const msg = protocol.messages.get(name);
    const h = handlers[name];
    if (msg === undefined || h === undefined) {
      this.reply(index, serial, hs, systemErrorBody(`unknown message ${name} in protocol ${protocol.name}`));
      return;
    }
    // A request that does not decode is garbage: the caller closes the connection.
    const req = h.decode(r, this.peer);
    let res: unknown;
    try {
      res = h.handle(req, this.peer);
    } catch (e) {
      this.reply(index, serial, hs, systemErrorBody((e as Error).message));
      return;
    }
    if (res instanceof Promise) {
      return res.then(
        (v: unknown) => this.answer(index, serial, hs, msg.oneWay, h, v),
        (e: unknown) =>
          this.reply(index, serial, hs, systemErrorBody(e instanceof Error ? e.message : String(e))),
      );
    }
    this.answer(index, serial, hs, msg.oneWay, h, res);
  }

  private answer(
    index: number,
    serial: number,
    hs: Buffer | undefined,
    oneWay: boolean,
    h: AnyHandler,
    res: unknown,
  ): void {
    if (oneWay) {
      // No response to a one-way message, except the handshake a first request needs answered.
      this.send(index, serial, hs ? [hs] : undefined);
      return;
    }
    const w = this.writer;
    w.reset();
    if (hs) w.raw(hs);
    w.raw(OK_HEAD);
    h.encode(w, res);
    // The writer is reused: an answer that must wait for its turn keeps a copy.
    const out = w.finish();
    this.send(index, serial, [index === this.answered ? out : Buffer.from(out)]);
  }

  private reply(index: number, serial: number, hs: Buffer | undefined, body: Buffer): void {
    this.send(index, serial, hs ? [hs, body] : [body]);
  }

  /** Sends the answer to request `index` in its turn (`parts` undefined: it has none). */
  private send(index: number, serial: number, parts: Buffer[] | undefined): void {
    if (this.closing) return;
    if (index !== this.answered) {
      this.early.set(index, { serial, parts });
      return;
    }
    if (parts !== undefined) this.transport.send(serial, parts);
    this.answered++;
    for (let next = this.early.get(this.answered); next !== undefined; next = this.early.get(this.answered)) {
      this.early.delete(this.answered);
      if (next.parts !== undefined) this.transport.send(next.serial, next.parts);
      this.answered++;
    }
  }

  private fail(err: SluiceError): void {
    if (this.closing) return;
    this.server.logger.warn(
      `${this.server.label()}: closing connection from ${this.peerText()}: ${err.message ?? String(err)}`,
    );
    this.destroy();
  }
}
