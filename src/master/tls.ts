import { readFileSync } from 'node:fs';
import type { SiteConfig } from '../core/config.js';
import { ioError, SluiceError } from '../core/errors.js';
import type { MasterTls } from './wire.js';

/**
 * TLS of the master's control ports, from flags or flume-site.xml: the master's key and certificate,
 * and what its clients (nodes, shells) trust. The files are read once at start-up.
 */

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw ioError(e, `reading the ${what} ${file}`);
  }
}

const setting = (flag: string | undefined, config: SiteConfig, prop: string) =>
  flag ?? (config.getString(prop).trim() || undefined);

/** The master's key and certificate (a flag wins over the site property); undefined: plain HTTP. */
export function masterServerTls(
  config: SiteConfig,
  keyFlag: string | undefined,
  certFlag: string | undefined,
): { key: Buffer; cert: Buffer } | undefined {
  const key = setting(keyFlag, config, 'flume.master.tls.key');
  const cert = setting(certFlag, config, 'flume.master.tls.cert');
  if (key === undefined && cert === undefined) return undefined;
  if (key === undefined || cert === undefined)
    throw new SluiceError(
      'SLUICE_CONFIG',
      'TLS on the master needs both a key and a certificate (--tls-key and --tls-cert, or flume.master.tls.key and flume.master.tls.cert)',
    );
  return { key: read(key, 'TLS key'), cert: read(cert, 'TLS certificate') };
}

/** What a node or shell trusts (--tls / --tls-ca, else flume.master.tls / flume.master.tls.ca); undefined: plain. */
export function masterClientTls(
  config: SiteConfig,
  caFlag: string | undefined,
  tlsFlag: boolean,
): MasterTls | undefined {
  const ca = setting(caFlag, config, 'flume.master.tls.ca');
  if (ca !== undefined) return { ca: read(ca, 'TLS authority') };
  return tlsFlag || config.getBool('flume.master.tls') ? {} : undefined;
}

/**
 * The authority whose client certificates the master's web port admits (--http-tls-ca, else
 * flume.master.http.tls.ca); undefined: any client gets past TLS (the token still guards the data).
 */
export function masterWebAuthority(config: SiteConfig, flag: string | undefined): Buffer | undefined {
  const ca = setting(flag, config, 'flume.master.http.tls.ca');
  return ca === undefined ? undefined : read(ca, "web port's TLS client authority");
}
