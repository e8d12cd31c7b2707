import net from 'node:net';
import tls from 'node:tls';
import type { ComponentProperties, PropertySpec } from '../catalog/properties.js';
import type { BoundArgs, ParamSpec } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { TlsArgs } from './avro/component-options.js';
import { readTlsLimits, TLS_LIMIT_PROPERTIES } from './avro/ng-tls.js';
import type { ConnectionGuard, GuardedConnection } from './connection-guard.js';

/**
 * TLS for the plain-socket ports (syslog over TCP, netcat): the Avro ports' PEM options, read from OG
 * keyword arguments or NG properties, and the socket factories. Inside the TLS session the wire format is
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

/** The OG keyword options of a listening (server) or connecting (client) component. */
export function tlsParams(side: 'server' | 'client'): ParamSpec[] {
  const server = side === 'server';
  return [
    {
      name: 'ssl',
      type: 'bool',
      optional: true,
      default: false,
      docs: server
        ? 'Serve TLS (RFC 5425 for syslog); needs keyFile and certFile. Plain-text clients are refused.'
        : 'Connect with TLS (RFC 5425 for syslog), verifying the peer with caFile or the system CAs.',
    },
    {
      name: 'keyFile',
      type: 'string',
      optional: true,
      docs: server ? 'PEM private key of the TLS server.' : 'PEM private key of a client certificate.',
    },
    { name: 'certFile', type: 'string', optional: true, docs: 'PEM certificate (chain) matching keyFile.' },
    {
      name: 'caFile',
      type: 'string',
      optional: true,
      docs: server
        ? 'PEM CA certificate(s): clients must present a certificate signed by one (instead of a token).'
        : 'PEM CA certificate(s) to trust instead of the system CAs (a self-signed server certificate works).',
    },
  ];
}

function bad(component: string, field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', message, { place: { component, field } });
}

/** Reads tlsParams; a file named implies ssl. Files are read later, at open (loadTls). */
export function readTlsArgs(args: BoundArgs, side: 'server' | 'client'): TlsArgs {
  const c = args.component;
  const keyFile = args.optString('keyFile');
  const certFile = args.optString('certFile');
  if ((keyFile === undefined) !== (certFile === undefined)) {
    throw bad(c, keyFile === undefined ? 'keyFile' : 'certFile', 'keyFile and certFile go together');
  }
  const caFile = args.optString('caFile');
  const ssl = (args.optBool('ssl') ?? false) || keyFile !== undefined || caFile !== undefined;
  if (ssl && side === 'server' && keyFile === undefined) {
    throw bad(c, 'keyFile', 'ssl needs keyFile and certFile on a listening port');
  }
  return { ssl, keyFile, certFile, caFile, trustAllCerts: false };
}

/** Flume NG's server-side TLS properties (syslog sources since Flume 1.9), PEM instead of JKS. */
export const NG_SERVER_TLS_PROPERTIES: readonly PropertySpec[] = [
  {
    name: 'ssl',
    type: 'bool',
    default: 'false',
    docs: 'Serve TLS. Needs keystore (a PEM file holding the private key and certificate chain) or ssl-key and ssl-cert.',
  },
  {
    name: 'keystore',
    type: 'string',
    docs: 'PEM file with the private key and the certificate chain (no JKS).',
  },
  {
    name: 'keystore-password',
    type: 'string',
    docs: 'Accepted for Flume compatibility; PEM keys must not be encrypted.',
  },
  { name: 'keystore-type', type: 'string', default: 'PEM', docs: 'Only PEM (JKS and PKCS12 are refused).' },
  { name: 'ssl-key', type: 'string', docs: 'PEM private key (Sluice-specific, instead of keystore).' },
  { name: 'ssl-cert', type: 'string', docs: 'PEM certificate chain matching ssl-key.' },
  {
    name: 'ssl-ca',
    type: 'string',
    docs: 'PEM CA certificate(s): when set, clients must present a certificate signed by one (Sluice-specific).',
  },
  ...TLS_LIMIT_PROPERTIES,
];

/** Reads NG_SERVER_TLS_PROPERTIES, or throws the config error naming the key. */
export function readNgServerTls(p: ComponentProperties, logger: Logger): TlsArgs {
  const type = p.optString('keystore-type');
  if (type !== undefined && type.toUpperCase() !== 'PEM') {
    throw p.error(
      'keystore-type',
      `keystore-type "${type}" is not supported: Sluice reads PEM files (convert with openssl or keytool)`,
    );
  }
  const keystore = p.optString('keystore');
  let keyFile = p.optString('ssl-key');
  let certFile = p.optString('ssl-cert');
  if (keystore !== undefined) {
    if (keyFile !== undefined || certFile !== undefined)
      throw p.error('keystore', 'give either keystore or ssl-key and ssl-cert, not both');
    keyFile = keystore;
    certFile = keystore;
  }
  if ((keyFile === undefined) !== (certFile === undefined))
    throw p.error(keyFile === undefined ? 'ssl-key' : 'ssl-cert', 'ssl-key and ssl-cert go together');
  const ssl = p.bool('ssl');
  if (!ssl) {
    if (keyFile !== undefined || p.has('ssl-ca'))
      logger.warn(`${p.component}: keystore, ssl-key, ssl-cert and ssl-ca have no effect without ssl = true`);
    return { ssl: false, keyFile: undefined, certFile: undefined, caFile: undefined, trustAllCerts: false };
  }
  if (keyFile === undefined)
    throw p.error('keystore', 'ssl = true needs keystore (PEM key and certificate) or ssl-key and ssl-cert');
  return {
    ssl: true,
    keyFile,
    certFile,
    caFile: p.optString('ssl-ca'),
    trustAllCerts: false,
    tlsLimits: readTlsLimits(p, logger),
  };
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
    server.once('error', (e) => {
      guard.close();
      reject(failed(e));
    });
    server.listen(port, host, () => resolve());
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
  const server = tls.createServer(
    {
      key: t.key,
      cert: t.cert,
      ca: t.ca,
      requestCert: t.requestCert ?? false,
      rejectUnauthorized: true,
      ...tlsLimits(t),
    },
    onSocket,
  );
  server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => onRefused(s.remoteAddress ?? '?', e.message));
  return server;
}

/** Connects over TCP, or TLS when `t` is given; `ready` names the event after which data may flow. */
export function connectSocket(
  host: string,
  port: number,
  t: TlsOptions | undefined,
): { socket: net.Socket; ready: 'connect' | 'secureConnect' } {
  if (t === undefined) return { socket: net.connect({ host, port, noDelay: true }), ready: 'connect' };
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
