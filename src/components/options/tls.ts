import type { ComponentProperties, PropertySpec } from '../../catalog/properties.js';
import type { BoundArgs, ParamSpec } from '../../catalog/types.js';
import type { Logger } from '../../core/logger.js';
import type { TlsArgs, TransportArgs } from '../../rpc/avro/component-options.js';
import { cipherList, protocolRange } from '../../rpc/avro/ng-tls.js';
import { badOption } from './bad.js';

/**
 * TLS options of components in both spellings: PEM files as keyword arguments (syslog, netcat ports) and
 * Flume NG's server TLS properties with version and cipher limits (avro, syslog, netcat, SparkSink).
 */

/** The TLS limit properties shared with the NG avro sink. */
export const TLS_LIMIT_PROPERTIES: readonly PropertySpec[] = [
  {
    name: 'exclude-protocols',
    type: 'list',
    default: 'SSLv3',
    docs: 'Space-separated TLS versions to refuse (TLSv1 TLSv1.1 TLSv1.2 TLSv1.3); SSLv3 is never used. Mapped to a minimum..maximum version range.',
  },
  {
    name: 'include-protocols',
    type: 'list',
    docs: 'Space-separated TLS versions to allow (all when unset), minus exclude-protocols.',
  },
  {
    name: 'exclude-cipher-suites',
    type: 'list',
    docs: 'Space-separated cipher suites to refuse, JSSE (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or OpenSSL names.',
  },
  {
    name: 'include-cipher-suites',
    type: 'list',
    docs: "Space-separated cipher suites to allow (Node's defaults when unset), JSSE or OpenSSL names.",
  },
];

/** Reads the TLS limit properties, or throws the config error naming the key. */
export function readTlsLimits(p: ComponentProperties, logger: Logger): TransportArgs['tlsLimits'] {
  const range = protocolRange(p.list('include-protocols'), p.list('exclude-protocols'));
  if (range.problem)
    throw p.error(p.has('include-protocols') ? 'include-protocols' : 'exclude-protocols', range.problem);
  if (range.gap) logger.warn(`${p.component}: ${range.gap}`);
  const ciphers = cipherList(p.list('include-cipher-suites'), p.list('exclude-cipher-suites'));
  return { ...range.limits, ...(ciphers ? { ciphers } : {}) };
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

/** Reads tlsParams; a file named implies ssl. Files are read later, at open (loadTls). */
export function readTlsArgs(args: BoundArgs, side: 'server' | 'client'): TlsArgs {
  const c = args.component;
  const keyFile = args.optString('keyFile');
  const certFile = args.optString('certFile');
  if ((keyFile === undefined) !== (certFile === undefined)) {
    throw badOption(c, keyFile === undefined ? 'keyFile' : 'certFile', 'keyFile and certFile go together');
  }
  const caFile = args.optString('caFile');
  const ssl = (args.optBool('ssl') ?? false) || keyFile !== undefined || caFile !== undefined;
  if (ssl && side === 'server' && keyFile === undefined) {
    throw badOption(c, 'keyFile', 'ssl needs keyFile and certFile on a listening port');
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

/** Flume NG's client-side TLS properties (the avro sink), PEM instead of JKS. */
export const NG_CLIENT_TLS_PROPERTIES: readonly PropertySpec[] = [
  { name: 'ssl', type: 'bool', default: 'false', docs: 'Connect with TLS.' },
  {
    name: 'trust-all-certs',
    type: 'bool',
    default: 'false',
    docs: 'Accept any server certificate (no verification: tests only). Otherwise truststore or the system CAs verify it.',
  },
  {
    name: 'truststore',
    type: 'string',
    docs: 'PEM file of the CA certificate(s) (or the self-signed certificate) to trust (no JKS).',
  },
  {
    name: 'truststore-password',
    type: 'string',
    docs: 'Accepted for Flume compatibility; PEM trust stores have no password.',
  },
  {
    name: 'truststore-type',
    type: 'string',
    default: 'PEM',
    docs: 'Only PEM (JKS and PKCS12 are refused).',
  },
  ...TLS_LIMIT_PROPERTIES,
];

/** Reads NG_CLIENT_TLS_PROPERTIES, or throws the config error naming the key. */
export function readNgClientTls(p: ComponentProperties, logger: Logger): TlsArgs {
  const tt = p.optString('truststore-type');
  if (tt !== undefined && tt.toUpperCase() !== 'PEM')
    throw p.error('truststore-type', `truststore-type "${tt}" is not supported: Sluice reads PEM files`);
  const trustAllCerts = p.bool('trust-all-certs');
  const truststore = p.optString('truststore');
  const ssl = p.bool('ssl');
  if (!ssl && (trustAllCerts || truststore !== undefined))
    logger.warn(`${p.component}: trust-all-certs and truststore have no effect without ssl = true`);
  return {
    ssl,
    keyFile: undefined,
    certFile: undefined,
    caFile: ssl ? truststore : undefined,
    trustAllCerts: ssl && trustAllCerts,
    tlsLimits: ssl ? readTlsLimits(p, logger) : undefined,
  };
}
