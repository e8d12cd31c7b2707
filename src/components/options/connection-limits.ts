import { ComponentProperties, type PropertySpec } from '../../catalog/properties.js';
import { keywordOf, paramsOfProperties } from '../../catalog/spellings.js';
import type { BoundArgs, ParamSpec } from '../../catalog/types.js';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../../rpc/connection-guard.js';

/**
 * The connection limits of a listening component (rpc/connection-guard.ts) in both spellings, from one
 * table: agent-file properties (Sluice-specific keys; Flume NG has no equivalents) and keyword arguments
 * of the dataflow language, their camelCase (`syslogTcp(5140, maxConnections=100, idleTimeout=60000)`).
 * A component with other defaults (syslog over TCP never closes idle connections) passes its own.
 */

type LimitDocs = Partial<Record<keyof ConnectionLimits, string>>;

const LIMITS: readonly { field: keyof ConnectionLimits; property: string; min: number; docs: string }[] = [
  {
    field: 'maxConnections',
    property: 'max-connections',
    min: 1,
    docs: 'Connections open at once on this port; more are closed at accept (counted, logged once per peer).',
  },
  {
    field: 'idleTimeoutMs',
    property: 'idle-timeout',
    min: 0,
    docs: 'Milliseconds a connection may carry no data before it is closed (0: never).',
  },
  {
    field: 'readTimeoutMs',
    property: 'read-timeout',
    min: 0,
    docs: 'Milliseconds a begun frame or line may stay incomplete before the connection is closed (0: never).',
  },
  {
    field: 'handshakeTimeoutMs',
    property: 'handshake-timeout',
    min: 0,
    docs: 'Milliseconds from accept until the TLS and protocol handshake must be complete (0: never).',
  },
];

/** The limits as agent-file properties, with these defaults (and docs where they differ). */
export function connectionLimitProperties(
  defaults: Readonly<ConnectionLimits> = DEFAULT_CONNECTION_LIMITS,
  docs: LimitDocs = {},
): PropertySpec[] {
  return LIMITS.map((l) => ({
    name: l.property,
    type: 'int',
    default: String(defaults[l.field]),
    min: l.min,
    docs: docs[l.field] ?? l.docs,
  }));
}

export const CONNECTION_LIMIT_PROPERTIES: readonly PropertySpec[] = connectionLimitProperties();

/** The same limits as keyword arguments. */
export function connectionLimitParams(
  defaults: Readonly<ConnectionLimits> = DEFAULT_CONNECTION_LIMITS,
  docs: LimitDocs = {},
): ParamSpec[] {
  return paramsOfProperties(connectionLimitProperties(defaults, docs));
}

/** The limits a component was given, from either spelling; absent ones take `defaults`. */
export function readConnectionLimits(
  from: BoundArgs | ComponentProperties,
  defaults: Readonly<ConnectionLimits> = DEFAULT_CONNECTION_LIMITS,
): ConnectionLimits {
  const read =
    from instanceof ComponentProperties
      ? (property: string) => (from.has(property) ? from.int(property) : undefined)
      : (property: string) => from.optInt(keywordOf(property));
  const out = { ...defaults };
  for (const l of LIMITS) out[l.field] = Math.max(l.min, read(l.property) ?? defaults[l.field]);
  return out;
}
