import fs from 'node:fs';
import type { BoundArgs, ParamSpec } from '../../catalog/types.js';
import { ioError, type Place, SluiceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ConnectionLimits } from '../connection-guard.js';
import { DEFAULT_MAX_FRAME_SIZE } from './frame.js';
import { avroSourceProtocol } from './protocols.js';
import { type AnyHandler, AvroServer, type TlsOptions } from './server.js';
import type { Compression } from './transport.js';

/**
 * Keyword options shared by the Avro RPC sources and sinks (`avroSource(35853, compression="deflate")`):
 * their catalog entries and their checking, in one place so both ends read them alike.
 */
export const transportParams: ParamSpec[] = [
  {
    name: 'compression',
    type: 'string',
    optional: true,
    default: 'none',
    docs: 'none or deflate (zlib stream per connection); must match the other end, like Flume compression-type.',
  },
  {
    name: 'compressionLevel',
    type: 'int',
    optional: true,
    default: 6,
    docs: 'zlib level 0-9 used when sending with deflate.',
  },
  {
    name: 'ssl',
    type: 'bool',
    optional: true,
    default: false,
    docs: 'Use TLS. A source needs keyFile and certFile; a sink trusts caFile or the system CAs.',
  },
  {
    name: 'keyFile',
    type: 'string',
    optional: true,
    docs: 'PEM private key (TLS server, or client certificate).',
  },
  { name: 'certFile', type: 'string', optional: true, docs: 'PEM certificate matching keyFile.' },
  {
    name: 'caFile',
    type: 'string',
    optional: true,
    docs: 'PEM CA certificate(s) to trust (sink) or to require client certificates from (source).',
  },
  {
    name: 'token',
    type: 'string',
    optional: true,
    docs: 'Shared secret sent in the handshake (meta sluice.token); a source with a token refuses clients without it.',
  },
  {
    name: 'maxFrameSize',
    type: 'int',
    optional: true,
    default: DEFAULT_MAX_FRAME_SIZE,
    docs: 'Largest frame accepted from the peer, in bytes; a bigger one closes that connection.',
  },
];

export interface TransportArgs {
  compression: Compression;
  compressionLevel: number;
  ssl: boolean;
  keyFile: string | undefined;
  certFile: string | undefined;
  caFile: string | undefined;
  trustAllCerts: boolean;
  token: string | undefined;
  maxFrameSize: number;
  /** TLS version and cipher limits (the NG components' include/exclude protocols and cipher suites). */
  tlsLimits?: Pick<TlsOptions, 'minVersion' | 'maxVersion' | 'ciphers'> | undefined;
}

function bad(component: string, field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', message, { place: { component, field } });
}

export { checkPort } from '../../catalog/ports.js';

export function readTransportArgs(args: BoundArgs): TransportArgs {
  const c = args.component;
  const compression = args.optString('compression') ?? 'none';
  if (compression !== 'none' && compression !== 'deflate') {
    throw bad(c, 'compression', `compression must be "none" or "deflate", got "${compression}"`);
  }
  const compressionLevel = args.optInt('compressionLevel') ?? 6;
  if (!Number.isInteger(compressionLevel) || compressionLevel < 0 || compressionLevel > 9) {
    throw bad(c, 'compressionLevel', `compressionLevel must be 0-9, got ${compressionLevel}`);
  }
  const maxFrameSize = args.optInt('maxFrameSize') ?? DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < 1024) {
    throw bad(c, 'maxFrameSize', `maxFrameSize must be at least 1024 bytes, got ${maxFrameSize}`);
  }
  const keyFile = args.optString('keyFile');
  const certFile = args.optString('certFile');
  if ((keyFile === undefined) !== (certFile === undefined)) {
    throw bad(c, keyFile ? 'certFile' : 'keyFile', 'keyFile and certFile go together');
  }
  const caFile = args.optString('caFile');
  const trustAllCerts = args.optBool('trustAllCerts') ?? false;
  const ssl =
    (args.optBool('ssl') ?? false) || keyFile !== undefined || caFile !== undefined || trustAllCerts;
  const token = args.optString('token');
  return {
    compression,
    compressionLevel,
    ssl,
    keyFile,
    certFile,
    caFile,
    trustAllCerts,
    token: token === '' ? undefined : token,
    maxFrameSize,
  };
}

function readPem(file: string, component: string, field: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const place: Place = { component, field };
    throw ioError(e, `cannot read ${file}`, place);
  }
}

/** The TLS part of the options: what `loadTls` reads (syslog and netcat ports use it without the rest). */
export type TlsArgs = Pick<
  TransportArgs,
  'ssl' | 'keyFile' | 'certFile' | 'caFile' | 'trustAllCerts' | 'tlsLimits'
>;

/** Reads the PEM files named by the options (at open, so a missing file is reported then, with its name). */
export function loadTls(t: TlsArgs, component: string, side: 'server' | 'client'): TlsOptions | undefined {
  if (!t.ssl) return undefined;
  if (side === 'server' && t.keyFile === undefined) {
    throw bad(component, 'keyFile', 'ssl needs keyFile and certFile on a source');
  }
  const tls: TlsOptions = {};
  if (t.keyFile !== undefined) tls.key = readPem(t.keyFile, component, 'keyFile');
  if (t.certFile !== undefined) tls.cert = readPem(t.certFile, component, 'certFile');
  if (t.caFile !== undefined) tls.ca = readPem(t.caFile, component, 'caFile');
  if (side === 'server' && t.caFile !== undefined) tls.requestCert = true;
  if (side === 'client') tls.rejectUnauthorized = !t.trustAllCerts;
  if (t.tlsLimits) Object.assign(tls, t.tlsLimits);
  return tls;
}

/**
 * An AvroSourceProtocol server listening with a component's transport options: what every Flume avro
 * source (OG rpcSource/collectorSource, NG avro) runs.
 */
export async function listenFlumeSource(
  opts: TransportArgs & {
    port: number;
    bind: string;
    limits?: ConnectionLimits | undefined;
    handshakeFrameSize?: number | undefined;
  },
  handlers: Record<string, AnyHandler>,
  logger: Logger,
  name: string,
): Promise<AvroServer> {
  const server = new AvroServer({
    protocol: avroSourceProtocol,
    handlers,
    port: opts.port,
    host: opts.bind,
    compression: opts.compression,
    compressionLevel: opts.compressionLevel,
    maxFrameSize: opts.maxFrameSize,
    tls: loadTls(opts, name, 'server'),
    token: opts.token,
    limits: opts.limits,
    handshakeFrameSize: opts.handshakeFrameSize,
    logger,
    name,
  });
  await server.listen();
  logger.info(`listening on ${server.address}`);
  return server;
}
