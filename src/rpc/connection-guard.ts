import fs from 'node:fs';
import type net from 'node:net';
import type { Logger } from '../core/logger.js';
import { PeerNotices } from './peer-notices.js';

/**
 * Limits every listening port enforces on its connections, whatever the protocol (Avro RPC, syslog over
 * TCP, netcat, the SparkSink): how many connections at once, how long a connection may sit idle, how long
 * a frame (or line) may stay half-received, and how long a peer may take to finish its handshake (TLS,
 * then Avro's handshake or token). One sweep timer per port checks all of its connections, so a
 * connection costs a few fields, not a timer of its own, and a chunk costs one clock read.
 *
 * Each refusal or timeout is counted and logged once per peer address and reason, not once per event:
 * a misbehaving client that reconnects in a loop makes one line, and `stats` keeps the counts.
 */
export interface ConnectionLimits {
  /** Connections open at once; a new one beyond it is closed at accept. */
  maxConnections: number;
  /** A connection with no byte in either direction for this long is closed. 0 disables. */
  idleTimeoutMs: number;
  /** A frame or line begun and not completed within this long is a slow client: closed. 0 disables. */
  readTimeoutMs: number;
  /** From accept until the protocol's handshake (TLS, Avro handshake, token) completes. 0 disables. */
  handshakeTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  maxConnections: 1024,
  idleTimeoutMs: 600_000,
  readTimeoutMs: 30_000,
  handshakeTimeoutMs: 10_000,
};

export type GuardReason = 'over-limit' | 'idle' | 'slow-read' | 'handshake-timeout' | 'fd-limit';

export interface GuardStats {
  accepted: number;
  open: number;
  refusedOverLimit: number;
  idleClosed: number;
  slowReadClosed: number;
  handshakeTimedOut: number;
  /** accept() failed because the process ran out of file descriptors (EMFILE/ENFILE). */
  fdLimit: number;
}

/** One accepted connection's bookkeeping; the protocol code tells it what it sees. */
export interface GuardedConnection {
  /** Call on every chunk read or written (one clock read). */
  activity(): void;
  /** A frame or line is half-received (true) or complete with nothing pending (false). */
  partial(pending: boolean): void;
  /** The handshake (TLS, Avro, token) completed. */
  handshakeDone(): void;
  /**
   * The port holds the connection back (stops reading it: its queue is full) or lets it go again. A held
   * connection's silence is the port's doing, not the peer's: the idle and slow-read clocks do not run,
   * and start afresh on release.
   */
  hold(held: boolean): void;
}

interface Tracked {
  socket: net.Socket;
  peer: string;
  acceptedAt: number;
  lastActivity: number;
  /** 0 when no frame is pending. */
  partialSince: number;
  handshaken: boolean;
  held: boolean;
}

/** Counts of a port before it opened (all zero). */
export function emptyGuardStats(): GuardStats {
  return {
    accepted: 0,
    open: 0,
    refusedOverLimit: 0,
    idleClosed: 0,
    slowReadClosed: 0,
    handshakeTimedOut: 0,
    fdLimit: 0,
  };
}

export class ConnectionGuard {
  readonly stats: GuardStats = emptyGuardStats();
  private readonly conns = new Set<Tracked>();
  /** The port's log-once lines: its refusals, and what its protocol reports (a failed TLS handshake). */
  readonly notices: PeerNotices;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    /** How log lines name the port: `collectorSource(35853)`. */
    private readonly component: string,
    readonly limits: ConnectionLimits,
    logger: Logger,
  ) {
    this.notices = new PeerNotices(logger);
  }

  /**
   * Watches a listening server: logs accept failures at the file-descriptor limit (Node otherwise resets
   * such clients silently) and starts the sweep. Call once, before `listen`.
   */
  watch(server: net.Server): void {
    server.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EMFILE' || e.code === 'ENFILE') this.refuse('fd-limit', 'accept', e.message);
    });
    // Node emits 'drop' when its own maxConnections refuses a socket; we refuse in admit() instead so the
    // count and the log line say which peer, but a user-set server.maxConnections is honoured too.
    server.on('drop', (d?: { remoteAddress?: string }) => this.refuse('over-limit', d?.remoteAddress ?? '?'));
    softFdLimit(); // read while descriptors are still to be had
    const ms = this.sweepInterval();
    if (ms > 0 && this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), ms);
      this.sweeper.unref();
    }
  }

  /**
   * Admits an accepted socket, or closes it (over the limit) and returns undefined. A closed socket is
   * forgotten by itself; the caller still releases its own buffers on 'close'.
   */
  admit(socket: net.Socket): GuardedConnection | undefined {
    const peer = socket.remoteAddress ?? '?';
    if (this.conns.size >= this.limits.maxConnections) {
      this.refuse('over-limit', peer, `${this.limits.maxConnections} connections open`);
      socket.destroy();
      return undefined;
    }
    const now = Date.now();
    const t: Tracked = {
      socket,
      peer,
      acceptedAt: now,
      lastActivity: now,
      partialSince: 0,
      handshaken: false,
      held: false,
    };
    this.conns.add(t);
    this.stats.accepted++;
    this.stats.open = this.conns.size;
    socket.once('close', () => {
      this.conns.delete(t);
      this.stats.open = this.conns.size;
    });
    return {
      activity: () => {
        t.lastActivity = Date.now();
      },
      partial: (pending) => {
        if (!pending) t.partialSince = 0;
        else if (t.partialSince === 0) t.partialSince = Date.now();
      },
      handshakeDone: () => {
        t.handshaken = true;
      },
      hold: (held) => {
        t.held = held;
        t.partialSince = 0;
        t.lastActivity = Date.now();
      },
    };
  }

  /** Stops the sweep and closes every connection still open. */
  close(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const t of this.conns) t.socket.destroy();
    this.conns.clear();
    this.stats.open = 0;
  }

  /** Checks every connection against the timeouts now (the sweep timer calls it; tests may too). */
  sweep(now = Date.now()): void {
    // libuv answers accept's EMFILE by accepting and closing the client with a spare descriptor, and
    // tells Node nothing: only a look at the process's descriptors shows that clients are being reset.
    if (atFdLimit(now)) this.refuse('fd-limit', 'accept', 'new connections are reset');
    const { idleTimeoutMs, readTimeoutMs, handshakeTimeoutMs } = this.limits;
    for (const t of this.conns) {
      let reason: GuardReason | undefined;
      if (handshakeTimeoutMs > 0 && !t.handshaken && now - t.acceptedAt >= handshakeTimeoutMs)
        reason = 'handshake-timeout';
      else if (t.held) continue;
      else if (readTimeoutMs > 0 && t.partialSince > 0 && now - t.partialSince >= readTimeoutMs)
        reason = 'slow-read';
      else if (idleTimeoutMs > 0 && now - t.lastActivity >= idleTimeoutMs) reason = 'idle';
      if (reason === undefined) continue;
      this.conns.delete(t);
      this.stats.open = this.conns.size;
      this.refuse(reason, t.peer);
      t.socket.destroy();
    }
  }

  private sweepInterval(): number {
    const ts = [this.limits.idleTimeoutMs, this.limits.readTimeoutMs, this.limits.handshakeTimeoutMs].filter(
      (v) => v > 0,
    );
    if (ts.length === 0) return 0;
    // A quarter of the shortest timeout: a connection closes within 125% of its limit.
    return Math.min(1000, Math.max(20, Math.floor(Math.min(...ts) / 4)));
  }

  private refuse(reason: GuardReason, peer: string, detail?: string): void {
    switch (reason) {
      case 'over-limit':
        this.stats.refusedOverLimit++;
        break;
      case 'idle':
        this.stats.idleClosed++;
        break;
      case 'slow-read':
        this.stats.slowReadClosed++;
        break;
      case 'handshake-timeout':
        this.stats.handshakeTimedOut++;
        break;
      case 'fd-limit':
        this.stats.fdLimit++;
        break;
    }
    this.notices.once(
      peer,
      reason,
      () =>
        `${this.component}: ${describe(reason, this.limits)} (peer ${peer}${detail ? `: ${detail}` : ''}); further ones from this peer are only counted`,
    );
  }
}

function describe(reason: GuardReason, l: ConnectionLimits): string {
  switch (reason) {
    case 'over-limit':
      return `connection refused, maxConnections ${l.maxConnections} reached`;
    case 'idle':
      return `connection closed after ${l.idleTimeoutMs} ms idle`;
    case 'slow-read':
      return `connection closed: a frame stayed incomplete for ${l.readTimeoutMs} ms`;
    case 'handshake-timeout':
      return `connection closed: no handshake within ${l.handshakeTimeoutMs} ms`;
    case 'fd-limit':
      return 'cannot accept connections: the process is at its open-file limit (raise ulimit -n)';
  }
}

/** The soft limit on open files (Linux /proc): null until read, undefined where unknown. */
let fdSoftLimit: number | undefined | null = null;
let fdCheckedAt = 0;
let fdFull = false;

function isFdExhaustion(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EMFILE' || code === 'ENFILE';
}

function softFdLimit(): number | undefined {
  if (fdSoftLimit === null) {
    try {
      const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
      fdSoftLimit = m ? Number(m[1]) : undefined;
    } catch (e) {
      // Out of descriptors right now: try again on a later look.
      if (isFdExhaustion(e)) return undefined;
      fdSoftLimit = undefined;
    }
  }
  return fdSoftLimit ?? undefined;
}

/** Whether the process has (nearly) no descriptor left; looked at most once a second per process. */
function atFdLimit(now: number): boolean {
  if (now - fdCheckedAt < 1000) return fdFull;
  fdCheckedAt = now;
  try {
    // The listing itself takes one descriptor; libuv keeps one spare for its accept-and-close.
    const open = fs.readdirSync('/proc/self/fd').length;
    const limit = softFdLimit();
    fdFull = limit !== undefined && open >= limit - 1;
  } catch (e) {
    fdFull = isFdExhaustion(e);
  }
  return fdFull;
}

/** The addresses a server listens on, for the start-up line (`listening on 127.0.0.1:5140`). */
export function listeningOn(server: net.Server): string {
  const a = server.address();
  if (a === null) return 'not listening';
  if (typeof a === 'string') return a;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
