import type { Server, Socket } from 'node:net';
import { ioError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import {
  ConnectionGuard,
  type ConnectionLimits,
  type GuardedConnection,
  listeningOn,
} from '../rpc/connection-guard.js';
import { guardedSocketServer, listenGuarded, type TlsOptions } from '../rpc/tls.js';

/**
 * The listening side of the line-oriented TCP sources (syslog over TCP, netcat): one server, plain or
 * TLS, whose connections pass a ConnectionGuard (limit, idle, slow-read and handshake timeouts), and
 * pause together when the source's queue is full.
 *
 * With TLS the guard admits the raw TCP socket at accept, so a peer that never finishes its handshake is
 * counted against maxConnections and closed at handshakeTimeout; the source sees the connection only
 * once the handshake is done. A plain connection's handshake is done at accept.
 *
 * While the source holds its connections back (queue full), their silence is the source's doing, not the
 * peer's: the guard skips held connections until reading resumes. A failed TLS handshake is logged once
 * per peer and reason through the guard's notices.
 */

export interface ListenerOptions {
  /** How log lines and errors name the source (`syslogTcp`, `source r1`). */
  component: string;
  bind: string;
  port: number;
  tls: TlsOptions | undefined;
  limits: ConnectionLimits;
  logger: Logger | undefined;
  /**
   * A connection ready for data. Returns whether a message is half-received on it (the slow-read clock
   * runs while it is), asked when reading resumes after a pause.
   */
  onConnection(socket: Socket, conn: GuardedConnection): () => boolean;
}

interface Live {
  conn: GuardedConnection;
  pending: () => boolean;
}

const SILENT = createLogger('error', '', () => {});

export class GuardedListener {
  readonly guard: ConnectionGuard;
  /** TLS handshakes that failed (a plain-text client, an unknown certificate). */
  tlsFailed = 0;
  private server: Server | undefined;
  private readonly live = new Map<Socket, Live>();
  private holding = false;
  private boundPort = 0;

  constructor(private readonly opts: ListenerOptions) {
    this.guard = new ConnectionGuard(opts.component, opts.limits, opts.logger ?? SILENT);
  }

  get port(): number {
    return this.boundPort;
  }

  /** Connections currently open and ready for data. */
  get connections(): number {
    return this.live.size;
  }

  async listen(): Promise<void> {
    if (this.server !== undefined) return;
    const { bind, port, tls, component, logger } = this.opts;
    const server = guardedSocketServer(
      tls,
      this.guard,
      (s, conn) => this.ready(s, conn),
      (peer, reason) => this.tlsRefused(peer, reason),
    );
    this.server = server;
    try {
      this.boundPort = await listenGuarded(
        server,
        this.guard,
        port,
        bind,
        (e) => ioError(e, `cannot listen on TCP ${bind}:${port}`, { component, field: 'port' }),
        (e) => logger?.error(`${component}: ${e.message}`),
      );
    } catch (e) {
      this.server = undefined;
      throw e;
    }
    logger?.info(`${component}: listening on ${listeningOn(server)}${tls ? ' (TLS)' : ''}`);
  }

  /** Stops accepting; open connections stay (syslogTcp1 after its one peer). */
  stopListening(): void {
    this.server?.close();
  }

  /** Pauses every connection, and those accepted later, until `release`. */
  hold(): void {
    if (this.holding) return;
    this.holding = true;
    for (const [s, l] of this.live) {
      s.pause();
      l.conn.hold(true);
    }
  }

  release(): void {
    if (!this.holding) return;
    this.holding = false;
    for (const [s, l] of this.live) {
      l.conn.hold(false);
      l.conn.partial(l.pending());
      s.resume();
    }
  }

  async close(): Promise<void> {
    for (const s of this.live.keys()) s.destroy();
    this.live.clear();
    this.guard.close();
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A connection ready for data: admitted by the guard at accept, its TLS handshake (if any) done. */
  private ready(socket: Socket, conn: GuardedConnection): void {
    conn.handshakeDone();
    if (this.holding) {
      socket.pause();
      conn.hold(true);
    }
    const pending = this.opts.onConnection(socket, conn);
    this.live.set(socket, { conn, pending });
    socket.once('close', () => this.live.delete(socket));
  }

  /** A failed TLS handshake; peers gone mid-handshake or closed by the guard never get here. */
  private tlsRefused(peer: string, reason: string): void {
    this.tlsFailed++;
    this.guard.notices.once(
      peer,
      `tls ${reason}`,
      () => `${this.opts.component}: TLS handshake with ${peer} failed: ${reason}`,
    );
  }
}
