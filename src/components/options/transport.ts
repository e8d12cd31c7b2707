import type { ComponentProperties, PropertySpec } from '../../catalog/properties.js';
import type { BoundArgs, ParamSpec } from '../../catalog/types.js';
import type { TransportArgs } from '../../rpc/avro/component-options.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../../rpc/avro/frame.js';
import { badOption } from './bad.js';

/**
 * Keyword options shared by the Avro RPC sources and sinks (`avroSource(35853, compression="deflate")`):
 * their catalog entries and their checking, in one place so both ends read them alike.
 */
export const transportParams: ParamSpec[] = [
  {
    name: 'compression',
    type: 'string',
    property: 'compression-type',
    optional: true,
    default: 'none',
    docs: 'none or deflate (zlib stream per connection); must match the other end, like Flume compression-type.',
  },
  {
    name: 'compressionLevel',
    type: 'int',
    property: 'compression-level',
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

export function readTransportArgs(args: BoundArgs): TransportArgs {
  const c = args.component;
  const compression = args.optString('compression') ?? 'none';
  if (compression !== 'none' && compression !== 'deflate') {
    throw badOption(c, 'compression', `compression must be "none" or "deflate", got "${compression}"`);
  }
  const compressionLevel = args.optInt('compressionLevel') ?? 6;
  if (!Number.isInteger(compressionLevel) || compressionLevel < 0 || compressionLevel > 9) {
    throw badOption(c, 'compressionLevel', `compressionLevel must be 0-9, got ${compressionLevel}`);
  }
  const maxFrameSize = args.optInt('maxFrameSize') ?? DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < 1024) {
    throw badOption(c, 'maxFrameSize', `maxFrameSize must be at least 1024 bytes, got ${maxFrameSize}`);
  }
  const keyFile = args.optString('keyFile');
  const certFile = args.optString('certFile');
  if ((keyFile === undefined) !== (certFile === undefined)) {
    throw badOption(c, keyFile ? 'certFile' : 'keyFile', 'keyFile and certFile go together');
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

/** Flume NG's compression properties of the avro source and sink (one zlib stream each way). */
export const NG_COMPRESSION_PROPERTIES: readonly PropertySpec[] = [
  {
    name: 'compression-type',
    type: 'string',
    default: 'none',
    choices: ['none', 'deflate'],
    docs: 'deflate: a zlib stream per connection each way; the other end must be configured alike.',
  },
  {
    name: 'compression-level',
    type: 'int',
    default: '6',
    min: 0,
    docs: 'zlib level 0-9 of what this end sends with deflate.',
  },
];

/** Reads NG_COMPRESSION_PROPERTIES, or throws the config error naming the key. */
export function readNgCompression(
  p: ComponentProperties,
): Pick<TransportArgs, 'compression' | 'compressionLevel'> {
  const level = p.int('compression-level');
  if (level > 9) throw p.error('compression-level', `compression-level must be 0-9, got ${level}`);
  return {
    compression: p.string('compression-type').toLowerCase() as 'none' | 'deflate',
    compressionLevel: level,
  };
}

/** An NG `token` property: an empty value means none. */
export function readNgToken(p: ComponentProperties): string | undefined {
  const token = p.optString('token');
  return token === '' ? undefined : token;
}
