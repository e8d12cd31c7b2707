import tls from 'node:tls';
import type { TlsOptions } from './server.js';

/**
 * Flume NG's TLS knobs (Java JSSE names) as Node TLS options: `include-protocols`/`exclude-protocols`
 * become a minVersion..maxVersion range, `include-cipher-suites`/`exclude-cipher-suites` an OpenSSL
 * cipher list. Returns a problem text (for the caller's config error) instead of throwing.
 */
const VERSIONS: readonly tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export type TlsLimits = Pick<TlsOptions, 'minVersion' | 'maxVersion' | 'ciphers'>;

export function protocolRange(
  include: readonly string[],
  exclude: readonly string[],
): { limits: TlsLimits; problem?: string; gap?: string } {
  for (const p of [...include, ...exclude]) {
    if (p !== 'SSLv3' && p !== 'SSLv2Hello' && !VERSIONS.includes(p as tls.SecureVersion))
      return { limits: {}, problem: `unknown protocol "${p}" (use TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)` };
  }
  if (include.length === 0 && exclude.length === 0) return { limits: {} };
  // SSLv3 is always excluded (as in Flume); Node has no SSLv3 at all.
  const allowed = VERSIONS.filter(
    (v) => (include.length === 0 || include.includes(v)) && !exclude.includes(v),
  );
  if (allowed.length === 0) return { limits: {}, problem: 'the protocol lists leave no TLS version allowed' };
  const lo = VERSIONS.indexOf(allowed[0]!);
  const hi = VERSIONS.indexOf(allowed[allowed.length - 1]!);
  const gap =
    hi - lo + 1 !== allowed.length
      ? `Node allows a range of TLS versions: ${allowed[0]}..${allowed[allowed.length - 1]} is used`
      : undefined;
  return {
    limits: { minVersion: allowed[0]!, maxVersion: allowed[allowed.length - 1]! },
    ...(gap ? { gap } : {}),
  };
}

/** A JSSE suite name as OpenSSL names it (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256` -> `ECDHE-RSA-AES128-GCM-SHA256`). */
export function opensslCipher(name: string): string {
  // TLS 1.3 suites keep their IANA names in Node's cipher list; OpenSSL-style names pass unchanged.
  if (/^TLS_(AES|CHACHA20)_/.test(name) || !name.includes('_WITH_')) return name;
  const m = /^(?:TLS|SSL)_(ECDHE|DHE|RSA)_(?:(RSA|ECDSA)_)?WITH_(.+)$/.exec(name);
  if (!m) return name;
  const [, kx, auth, rest] = m;
  const prefix = kx === 'RSA' ? '' : `${kx}-${auth ?? 'RSA'}-`;
  let cipher: string;
  const aes = /^AES_(128|256)_(GCM|CBC)_(SHA|SHA256|SHA384)$/.exec(rest!);
  if (aes) {
    const [, bits, mode, hash] = aes;
    cipher = mode === 'GCM' ? `AES${bits}-GCM-${hash}` : `AES${bits}-${hash}`;
  } else if (rest === 'CHACHA20_POLY1305_SHA256') {
    cipher = 'CHACHA20-POLY1305';
  } else {
    return name;
  }
  // OpenSSL calls plain-RSA-key-exchange suites just by their cipher (AES128-GCM-SHA256).
  return `${prefix}${cipher}`;
}

export function cipherList(include: readonly string[], exclude: readonly string[]): string | undefined {
  if (include.length === 0 && exclude.length === 0) return undefined;
  const base = include.length > 0 ? include.map(opensslCipher) : [tls.DEFAULT_CIPHERS];
  return [...base, ...exclude.map((c) => `!${opensslCipher(c)}`)].join(':');
}
