import net from 'node:net';
import tls from 'node:tls';
import type { ConnectionGuard, GuardedConnection } from './connection-guard.js';

/**
 * TLS for the plain-socket ports (syslog over TCP, netcat): the socket factories (the options that
 * configure them are components/options/tls.ts). Inside the TLS session the wire format is
 * unchanged (RFC 5425 for syslog: TLS, then the RFC 6587 framing). These protocols have no place for a
 * shared token: a listening port that should admit only known senders requires client certificates
 * (caFile / ssl-ca) instead.
 */

/** PEM material and limits of a TLS server or client (from TlsArgs by loadTls). */
export interface TlsOptions {
  key?: string | Buffer | undefined;
  cert?: string | Buffer | undefined;
  ca?: string | Buffer | undefined;
  /** Server: ask for and verify client certificates signed by `ca`. */
  requestCert?: boolean | undefined;
  /** Client: verify the server's certificate (default true). */
  rejectUnauthorized?: boolean | undefined;
  /** Client: the name to verify the certificate against (default: the host). */
  servername?: string | undefined;
  /** TLS versions and OpenSSL cipher list allowed (Flume's include/exclude protocols and cipher suites). */
  minVersion?: tls.SecureVersion | undefined;
  maxVersion?: tls.SecureVersion | undefined;
  ciphers?: string | undefined;
}

/** The optional version and cipher limits of `t`, as Node's TLS options (unset ones left out). */
export function tlsLimits(
  t: TlsOptions,
): Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers'> {
  return {
    ...(t.minVersion ? { minVersion: t.minVersion } : {}),
    ...(t.maxVersion ? { maxVersion: t.maxVersion } : {}),
    ...(t.ciphers ? { ciphers: t.ciphers } : {}),
  };
}

/**
 * socketServer with every TCP connection admitted to `guard` at accept, before any TLS: the connection
 * limit and the handshake timeout cover the TLS handshake as well as the protocol's own. `onSocket` gets
 * the data-carrying socket (the TLS one once secured) with its guard bookkeeping.
 */
export function guardedSocketServer(
  t: TlsOptions | undefined,
  guard: ConnectionGuard,
  onSocket: (s: net.Socket, conn: GuardedConnection) => void,
  onRefused: (peer: string, reason: string) => void,
): net.Server {
  if (t === undefined) {
    const server = net.createServer({ noDelay: true }, (s) => {
      const conn = guard.admit(s);
      if (conn) onSocket(s, conn);
    });
    guard.watch(server);
    return server;
  }
  // Node hands the raw socket to 'connection' and the TLS socket over it to the secure callback; the
  // peer's address and port tie the two together.
  const admitted = new Map<string, GuardedConnection>();
  const key = (s: net.Socket) => `${s.remoteAddress}|${s.remotePort}`;
  const server = socketServer(
    t,
    (s) => {
      const k = key(s);
      const conn = admitted.get(k);
      admitted.delete(k);
      if (conn) onSocket(s, conn);
      else s.destroy();
    },
    (peer, reason) => {
      // A connection the guard closed at accept fails its TLS handshake too: one line is enough.
      if (!/socket hang up|ECONNRESET/.test(reason)) onRefused(peer, reason);
    },
  );
  server.on('connection', (raw: net.Socket) => {
    const conn = guard.admit(raw);
    if (conn === undefined) return;
    const k = key(raw);
    admitted.set(k, conn);
    raw.once('close', () => admitted.delete(k));
  });
  guard.watch(server);
  return server;
}

/**
 * Listens on `host:port` with a server from guardedSocketServer and resolves with the bound port. A
 * failed listen stops the guard's sweep and rejects with `failed(e)`; later server errors other than the
 * descriptor limit (which the guard logs at accept) go to `onError`.
 */
export async function listenGuarded(
  server: net.Server,
  guard: ConnectionGuard,
  port: number,
  host: string,
  failed: (e: Error) => Error,
  onError: (e: Error) => void,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    // Only a failed listen ends here; once listening, this handler must go, or the first later error
    // (EMFILE at accept) would close every connection and stop the sweep.
    const onListenError = (e: Error) => {
      guard.close();
      reject(failed(e));
    };
    server.once('error', onListenError);
    server.listen(port, host, () => {
      server.off('error', onListenError);
      resolve();
    });
  });
  server.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EMFILE' && e.code !== 'ENFILE') onError(e);
  });
  const a = server.address();
  return typeof a === 'object' && a !== null ? a.port : port;
}

/**
 * A listening server: plain TCP, or TLS when `t` is given. `onSocket` gets each connection once it can
 * carry data (after the TLS handshake). A failed handshake (a plain-text client, a missing or unknown
 * client certificate) goes to `onRefused` and drops only that connection.
 */
export function socketServer(
  t: TlsOptions | undefined,
  onSocket: (s: net.Socket) => void,
  onRefused: (peer: string, reason: string) => void,
): net.Server {
  if (t === undefined) return net.createServer(onSocket);
  const server = tls.createServer(serverTlsOptions(t), onSocket);
  onHandshakeRefused(server, onRefused);
  return server;
}

/**
 * Node's options of a TLS server (node:tls or node:https) from `t`: with `requestCert` a client must
 * present a certificate signed by `ca`, or its handshake fails before anything it sent is read.
 */
export function serverTlsOptions(t: TlsOptions): tls.TlsOptions {
  return {
    key: t.key,
    cert: t.cert,
    ca: t.ca,
    requestCert: t.requestCert ?? false,
    rejectUnauthorized: true,
    ...tlsLimits(t),
  };
}

/** Hands each failed TLS handshake on `server` (its peer's address and why) to `onRefused`. */
export function onHandshakeRefused(
  server: tls.Server,
  onRefused: (peer: string, reason: string) => void,
): void {
  // A refused socket may be closed before it is reported, and a closed socket no longer knows its
  // peer unless asked before: the TCP socket under it is asked at accept (Node keeps the answer).
  server.on('connection', (raw: net.Socket) => void raw.remoteAddress);
  server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => {
    const peer = s.remoteAddress ?? (s as { _parent?: net.Socket })._parent?.remoteAddress ?? '?';
    // A client certificate from another authority completes OpenSSL's handshake; Node then closes the
    // connection, which reads as a hang-up: the verdict is on the socket.
    const verdict = s.authorizationError as unknown;
    onRefused(peer, verdict ? `its client certificate failed verification (${String(verdict)})` : e.message);
  });
}

/**
 * A client retrying a port in the ephemeral range where nothing listens can be given that very port as
 * its own source port and connect to itself (TCP simultaneous open). It then holds the port, and the
 * server that was to listen there cannot bind it. Such a connection is refused as if nobody listened.
 */
export function refuseSelfConnection(socket: net.Socket, where: string): void {
  socket.once('connect', () => {
    if (socket.localPort !== socket.remotePort || socket.localAddress !== socket.remoteAddress) return;
    const e: NodeJS.ErrnoException = new Error(
      `${where}: the connection reached itself (nothing listens there yet): refused`,
    );
    e.code = 'ECONNREFUSED';
    socket.destroy(e);
  });
}

/** Connects over TCP, or TLS when `t` is given; `ready` names the event after which data may flow. */
export function connectSocket(
  host: string,
  port: number,
  t: TlsOptions | undefined,
): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
  if (t === undefined) {
    const socket = net.connect({ host, port, noDelay: true });
    refuseSelfConnection(socket, `${host}:${port}`);
    return { socket, ready: 'connect' };
  }
  const socket = tls.connect({
    host,
    port,
    ca: t.ca,
    cert: t.cert,
    key: t.key,
    rejectUnauthorized: t.rejectUnauthorized ?? true,
    // Certificates name hosts, not addresses; an IP is checked against the subjectAltName IPs instead.
    servername: t.servername ?? (net.isIP(host) ? undefined : host),
    ...tlsLimits(t),
  });
  socket.setNoDelay(true);
  refuseSelfConnection(socket, `${host}:${port}`);
  return { socket, ready: 'secureConnect' };
}

/**
 * Whether `e` is the peer's certificate failing verification: retrying cannot help, the configuration
 * (caFile, the certificate's names) must change.
 */
export function isCertificateError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return (
    typeof code === 'string' &&
    (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code))
  );
}
