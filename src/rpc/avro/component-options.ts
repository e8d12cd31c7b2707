import fs from 'node:fs';
import { ioError, type Place, SluiceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ConnectionLimits } from '../connection-guard.js';
import { type AvroProtocol, avroSourceProtocol } from './protocols.js';
import { type AnyHandler, AvroServer, type TlsOptions } from './server.js';
import type { Compression } from './transport.js';

/** The transport options of an Avro RPC component, as components/options/transport.ts reads them. */
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
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', 'ssl needs keyFile and certFile on a source', {
      place: { component, field: 'keyFile' },
    });
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
/** Requests of one connection an avro source handles at once (the read-ahead limits bound them too). */
const SOURCE_REQUESTS_IN_FLIGHT = 64;

export async function listenFlumeSource(
  opts: TransportArgs & {
    port: number;
    bind: string;
    limits?: ConnectionLimits | undefined;
    handshakeFrameSize?: number | undefined;
    /** Sluice's extensions of AvroSourceProtocol on the same port (the collector's checkAck). */
    extensions?: readonly AvroProtocol[] | undefined;
  },
  handlers: Record<string, AnyHandler>,
  logger: Logger,
  name: string,
): Promise<AvroServer> {
  const server = new AvroServer({
    protocol: avroSourceProtocol,
    extensions: opts.extensions,
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
    // The sources answer a batch once it is delivered (docs/acks.md): a connection's later requests are
    // handled meanwhile, up to its read-ahead limits, so a pipelining sender keeps its window full.
    maxInFlight: SOURCE_REQUESTS_IN_FLIGHT,
    logger,
    name,
  });
  await server.listen();
  logger.info(`listening on ${server.address}`);
  return server;
}
