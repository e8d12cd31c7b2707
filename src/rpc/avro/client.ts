import { Backoff } from '../../core/backoff.js';
import { ioError, SluiceError } from '../../core/errors.js';
import { connectSocket, type TlsOptions } from '../tls.js';
import { HandshakeRequestor } from './handshake.js';
import { readResponseHead, requestHead } from './message.js';
import type { AvroProtocol } from './protocols.js';
import { FrameTransport, type TransportOptions } from './transport.js';
import { Reader } from './wire.js';

export interface AvroClientOptions extends TransportOptions {
  host: string;
  port: number;
  protocol: AvroProtocol;
  /** TCP (and TLS) connect; Flume's connect-timeout default is 20 s. */
  connectTimeoutMs?: number | undefined;
  /** From sending a request to its answer; Flume's request-timeout default is 20 s. */
  requestTimeoutMs?: number | undefined;
  /** Requests in flight on the connection at once (pipelining); more wait their turn. */
  maxInFlight?: number | undefined;
  /** Delay before reconnecting after a failure: doubles from `backoffMinMs` up to `backoffMaxMs`. */
  backoffMinMs?: number | undefined;
  backoffMaxMs?: number | undefined;
  tls?: TlsOptions | undefined;
  token?: string | undefined;
}

interface Call {
  name: string;
  params: Buffer;
  decode: (r: Reader) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: SluiceError) => void;
  timer: NodeJS.Timeout | undefined;
  /** Whether this request carries the handshake, and whether with our protocol. */
  handshake: 'none' | 'hash' | 'protocol';
}

interface Connection {
  transport: FrameTransport;
  serial: number;
  connected: boolean;
  inFlight: Map<number, Call>;
}

/**
 * An Avro IPC client over Netty framing. One TCP connection, opened on first use and again after a
 * failure (with exponential backoff); requests are pipelined up to `maxInFlight` and matched to answers
 * by serial. The first request of a connection carries the handshake and the others wait for it.
 *
 * Any failure (connect error, timeout, bad frame, connection lost) fails every call in flight or
 * waiting with a retriable SluiceError and drops the connection: answers come in order, so when one is
 * late the rest of the pipeline is suspect too (Flume's NettyAvroRpcClient likewise marks itself dead).
 */
export class AvroClient {
  private conn: Connection | undefined;
  private connecting = false;
  private readonly waiting: Call[] = [];
  private readonly backoff: Backoff;
  private nextAttemptAt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly requestor: HandshakeRequestor;
  readonly address: string;

  constructor(readonly opts: AvroClientOptions) {
    this.requestor = new HandshakeRequestor(opts.protocol, { token: opts.token });
    this.address = `${opts.host}:${opts.port}`;
    this.backoff = new Backoff({ initialMs: opts.backoffMinMs ?? 100, maxMs: opts.backoffMaxMs ?? 30_000 });
  }

  /** True while a handshaken connection is open. */
  get isConnected(): boolean {
    return this.conn?.connected ?? false;
  }

  /** Milliseconds until the next connection attempt is allowed (0 when connected or not backing off). */
  backoffRemaining(): number {
    if (this.conn) return 0;
    return Math.max(0, this.nextAttemptAt - Date.now());
  }

  /** Sends a request with encoded parameters and decodes the answer with `decode`. */
  call<T>(name: string, params: Buffer, decode: (r: Reader) => T): Promise<T> {
    if (this.closed) {
      return Promise.reject(new SluiceError('SLUICE_CLOSED', `client for ${this.address} is closed`));
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        name,
        params,
        decode,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: undefined,
        handshake: 'none',
      });
      this.kick();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const err = new SluiceError('SLUICE_CLOSED', `client for ${this.address} was closed`);
    const conn = this.conn;
    this.conn = undefined;
    this.rejectAll(conn, err);
    if (conn) {
      const socket = conn.transport.socket;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          socket.destroy();
          resolve();
        }, 1000);
        socket.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        conn.transport.end();
      });
    }
  }

  private kick(): void {
    if (this.closed) return;
    const conn = this.conn;
    if (!conn) {
      this.startConnect();
      return;
    }
    if (!conn.connected) {
      // Until the handshake completes, only the request carrying it may be on the wire.
      if (conn.inFlight.size > 0 || this.waiting.length === 0) return;
      const call = this.waiting.shift()!;
      call.handshake = 'hash';
      this.send(conn, call);
      return;
    }
    const max = this.opts.maxInFlight ?? 16;
    while (this.waiting.length > 0 && conn.inFlight.size < max) this.send(conn, this.waiting.shift()!);
  }

  private send(conn: Connection, call: Call): void {
    // Java's serial is an int that wraps: keep ours in int32 so the echoed serial matches the key.
    const serial = (conn.serial = (conn.serial + 1) | 0);
    const head = requestHead(call.name);
    const parts =
      call.handshake === 'none'
        ? [head, call.params]
        : [this.requestor.request(call.handshake === 'protocol'), head, call.params];
    conn.inFlight.set(serial, call);
    const timeout = this.opts.requestTimeoutMs ?? 20_000;
    call.timer = setTimeout(() => {
      this.fail(
        conn,
        new SluiceError('SLUICE_RPC', `no answer to ${call.name} from ${this.address} within ${timeout} ms`, {
          retriable: true,
        }),
      );
    }, timeout);
    conn.transport.send(serial, parts);
  }

  private startConnect(): void {
    if (this.connecting || this.reconnectTimer) return;
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) {
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        this.kick();
      }, wait);
      return;
    }
    this.connecting = true;
    const { host, port } = this.opts;
    const t = this.opts.tls;
    const { socket, ready } = connectSocket(host, port, t);
    const timeout = this.opts.connectTimeoutMs ?? 20_000;
    let done = false;
    const finish = (err: SluiceError | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.connecting = false;
      if (err) {
        socket.destroy();
        this.noteFailure();
        this.rejectAll(undefined, err);
        return;
      }
      if (this.closed) {
        socket.destroy();
        return;
      }
      const conn: Connection = {
        transport: undefined as unknown as FrameTransport,
        serial: 0,
        connected: false,
        inFlight: new Map(),
      };
      conn.transport = new FrameTransport(
        socket,
        this.opts,
        (serial, payload) => this.onFrame(conn, serial, payload),
        (e) => this.fail(conn, e),
        () =>
          this.fail(
            conn,
            new SluiceError('SLUICE_RPC', `connection to ${this.address} closed`, { retriable: true }),
          ),
      );
      this.conn = conn;
      this.kick();
    };
    const timer = setTimeout(
      () =>
        finish(
          new SluiceError(
            'SLUICE_RPC',
            `cannot connect to ${this.address}: no connection within ${timeout} ms`,
            {
              retriable: true,
            },
          ),
        ),
      timeout,
    );
    socket.once(ready, () => finish(undefined));
    socket.on('error', (e) => {
      const err = ioError(e, `cannot connect to ${this.address}`);
      if (!done) finish(new SluiceError('SLUICE_RPC', err.message, { cause: e, retriable: true }));
      else if (this.conn)
        this.fail(
          this.conn,
          new SluiceError('SLUICE_RPC', `connection to ${this.address}: ${err.message}`, {
            cause: e,
            retriable: true,
          }),
        );
    });
  }

  private onFrame(conn: Connection, serial: number, payload: Buffer): void {
    const call = conn.inFlight.get(serial);
    if (call === undefined) {
      this.fail(conn, new SluiceError('SLUICE_RPC', `${this.address} answered unknown serial ${serial}`));
      return;
    }
    conn.inFlight.delete(serial);
    clearTimeout(call.timer);
    const r = new Reader(payload);
    if (call.handshake !== 'none') {
      let outcome: 'connected' | 'retry';
      try {
        outcome = this.requestor.onResponse(r, call.handshake === 'protocol');
      } catch (e) {
        // A failed handshake leaves the connection useless: report it to this call and everyone else.
        const err = e instanceof SluiceError ? e : new SluiceError('SLUICE_RPC', String(e));
        call.reject(err);
        this.fail(conn, err);
        return;
      }
      if (outcome === 'retry') {
        call.handshake = 'protocol';
        this.send(conn, call);
        return;
      }
      conn.connected = true;
      this.backoff.reset();
      this.nextAttemptAt = 0;
    }
    let value: unknown;
    try {
      readResponseHead(r, this.address, call.name);
      value = call.decode(r);
    } catch (e) {
      call.reject(
        e instanceof SluiceError
          ? e
          : new SluiceError(
              'SLUICE_RPC',
              `bad answer to ${call.name} from ${this.address}: ${(e as Error).message}`,
            ),
      );
      this.kick();
      return;
    }
    call.resolve(value);
    this.kick();
  }

  private fail(conn: Connection, err: SluiceError): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    conn.transport.destroy();
    this.noteFailure();
    this.rejectAll(conn, err);
  }

  private noteFailure(): void {
    this.nextAttemptAt = Date.now() + this.backoff.fail();
  }

  private rejectAll(conn: Connection | undefined, err: SluiceError): void {
    if (conn) {
      for (const call of conn.inFlight.values()) {
        clearTimeout(call.timer);
        call.reject(err);
      }
      conn.inFlight.clear();
    }
    for (const call of this.waiting.splice(0)) call.reject(err);
  }
}
