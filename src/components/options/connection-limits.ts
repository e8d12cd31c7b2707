import type { ComponentProperties, PropertySpec } from '../../catalog/properties.js';
import { paramsOfProperties } from '../../catalog/spellings.js';
import type { BoundArgs, ParamSpec } from '../../catalog/types.js';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../../rpc/connection-guard.js';

/**
 * The connection limits of a listening component (rpc/connection-guard.ts) in both spellings: keyword
 * arguments of the dataflow language and properties of an agent file.
 */

/**
 * The same limits as keyword arguments (`syslogTcp(5140, maxConnections=100, idleTimeout=60000)`): one
 * schema, spelled in camelCase in a spec and by its property names in an agent file.
 */
export function connectionLimitParams(): ParamSpec[] {
  return paramsOfProperties(CONNECTION_LIMIT_PROPERTIES);
}

/** The same limits as agent-file properties (Sluice-specific keys; Flume NG has no equivalents). */
export const CONNECTION_LIMIT_PROPERTIES: readonly PropertySpec[] = [
  {
    name: 'max-connections',
    type: 'int',
    default: String(DEFAULT_CONNECTION_LIMITS.maxConnections),
    min: 1,
    docs: 'Connections open at once on this port; more are closed at accept (counted, logged once per peer).',
  },
  {
    name: 'idle-timeout',
    type: 'int',
    default: String(DEFAULT_CONNECTION_LIMITS.idleTimeoutMs),
    min: 0,
    docs: 'Milliseconds a connection may carry no data before it is closed (0: never).',
  },
  {
    name: 'read-timeout',
    type: 'int',
    default: String(DEFAULT_CONNECTION_LIMITS.readTimeoutMs),
    min: 0,
    docs: 'Milliseconds a begun frame or line may stay incomplete before the connection is closed (0: never).',
  },
  {
    name: 'handshake-timeout',
    type: 'int',
    default: String(DEFAULT_CONNECTION_LIMITS.handshakeTimeoutMs),
    min: 0,
    docs: 'Milliseconds from accept until the TLS and protocol handshake must be complete (0: never).',
  },
];

export function readConnectionLimits(args: BoundArgs): ConnectionLimits {
  const d = DEFAULT_CONNECTION_LIMITS;
  return {
    maxConnections: Math.max(1, args.optInt('maxConnections') ?? d.maxConnections),
    idleTimeoutMs: Math.max(0, args.optInt('idleTimeout') ?? d.idleTimeoutMs),
    readTimeoutMs: Math.max(0, args.optInt('readTimeout') ?? d.readTimeoutMs),
    handshakeTimeoutMs: Math.max(0, args.optInt('handshakeTimeout') ?? d.handshakeTimeoutMs),
  };
}

export function readNgConnectionLimits(p: ComponentProperties): ConnectionLimits {
  return {
    maxConnections: p.int('max-connections'),
    idleTimeoutMs: p.int('idle-timeout'),
    readTimeoutMs: p.int('read-timeout'),
    handshakeTimeoutMs: p.int('handshake-timeout'),
  };
}
