import net from 'node:net';
import type { NgSourceDef } from '../catalog/ng.js';
import {
  CONNECTION_LIMIT_PROPERTIES,
  readConnectionLimits,
} from '../components/options/connection-limits.js';
import { NG_SERVER_TLS_PROPERTIES, readNgServerTls } from '../components/options/tls.js';
import {
  NG_COMPRESSION_PROPERTIES,
  readNgCompression,
  readNgToken,
} from '../components/options/transport.js';
import { SluiceError } from '../core/errors.js';
import { DEFAULT_HANDSHAKE_FRAME_SIZE, DEFAULT_MAX_FRAME_SIZE } from '../rpc/avro/frame.js';
import { AvroEventSource } from './avro.js';

/**
 * Flume NG's avro source for agent files: the AvroEventSource of the dataflow spellings (avro.ts) with
 * Flume's property names, answering a batch only once its channel put committed (or the request
 * timeout passed), and Flume's ipFilter.
 */

/** One `allow|deny:ip|name:pattern` rule of ipFilterRules. */
export interface IpRule {
  allow: boolean;
  kind: 'ip' | 'name';
  pattern: RegExp;
  text: string;
}

export function parseIpFilterRules(text: string): IpRule[] | string {
  const rules: IpRule[] = [];
  for (const raw of text.split(',')) {
    const r = raw.trim();
    if (r === '') continue;
    const m = /^(allow|deny):(ip|name):(.*)$/i.exec(r);
    if (!m) return `rule "${r}" is not <allow|deny>:<ip|name>:<pattern>`;
    const glob = m[3]!.trim();
    const re = glob
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    rules.push({
      allow: m[1]!.toLowerCase() === 'allow',
      kind: m[2]!.toLowerCase() as 'ip' | 'name',
      pattern: new RegExp(`^${re}$`, 'i'),
      text: r,
    });
  }
  if (rules.length === 0) return 'ipFilter is on but ipFilterRules has no rule';
  return rules;
}

/** IPv4 peers of a dual-stack socket come as ::ffff:a.b.c.d; rules are written with a.b.c.d. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * The first rule that matches decides; a peer no rule matches is let in (Netty's IpFilterRuleHandler).
 * `name` rules see `localhost` for loopback peers and the address text otherwise (no reverse DNS).
 */
/** The error that refuses a peer by ipFilterRules, or undefined when it is let in. */
/** The refusal of a peer the rules deny (undefined: let in). */
export function ipRefusal(
  rules: readonly IpRule[],
  address: string,
  component: string,
): SluiceError | undefined {
  const verdict = ipAllowed(rules, address);
  if (verdict.allowed) return undefined;
  return new SluiceError('SLUICE_RPC', `${address} refused by ipFilterRules (${verdict.rule ?? 'no rule'})`, {
    place: { component, field: 'ipFilterRules' },
  });
}

export function ipAllowed(rules: readonly IpRule[], address: string): { allowed: boolean; rule?: string } {
  const ip = plainAddress(address);
  const loopback = ip === '::1' || ip.startsWith('127.');
  for (const r of rules) {
    const subject = r.kind === 'ip' ? ip : loopback ? 'localhost' : ip;
    if (r.pattern.test(subject)) return { allowed: r.allow, rule: r.text };
  }
  return { allowed: true };
}

export const ngAvroSource: NgSourceDef = {
  type: 'avro',
  kind: 'ng-source',
  specUnavailable:
    'From a spec, avro is avroSource: the same source with the dataflow arguments. The agent-file type ' +
    "keeps Flume's property names and defaults, and its request-timeout covers the channel commit.",
  docs:
    "Flume NG's avro source: serves AvroSourceProtocol (append, appendBatch) to Flume avro sinks, Flume RPC " +
    'clients, Spark and Sluice avro sinks. A batch is answered OK only once its events are committed to the ' +
    "channels, FAILED when the agent stops first or the channel refuses it (the sender retries). A sender's " +
    "batch goes into one channel transaction, so keep the sender's batch size within transactionCapacity.",
  properties: [
    { name: 'bind', type: 'string', required: true, docs: 'Address to listen on (0.0.0.0: all interfaces).' },
    {
      name: 'port',
      type: 'int',
      required: true,
      min: 0,
      docs: 'TCP port to listen on (0 picks a free one).',
    },
    {
      name: 'threads',
      type: 'int',
      min: 1,
      docs: 'Accepted for Flume compatibility and ignored: Node serves every connection on one event loop.',
    },
    ...NG_COMPRESSION_PROPERTIES,
    ...NG_SERVER_TLS_PROPERTIES,
    { name: 'ipFilter', type: 'bool', default: 'false', docs: 'Apply ipFilterRules to connecting peers.' },
    {
      name: 'ipFilterRules',
      type: 'string',
      docs: 'Comma-separated <allow|deny>:<ip|name>:<pattern> rules, * as wildcard (allow:ip:127.*,deny:ip:*). The first matching rule decides; a peer no rule matches is let in. name rules match localhost for loopback peers, else the address (no reverse DNS).',
    },
    {
      name: 'token',
      type: 'string',
      docs: 'Shared secret clients present in the handshake (Sluice avro sinks with the same token); others are refused.',
    },
    {
      name: 'maxFrameSize',
      type: 'int',
      default: String(DEFAULT_MAX_FRAME_SIZE),
      min: 1024,
      docs: 'Largest frame accepted, in bytes; a bigger one closes that connection.',
    },
    {
      name: 'maxHandshakeFrameSize',
      type: 'int',
      default: String(DEFAULT_HANDSHAKE_FRAME_SIZE),
      min: 1024,
      docs: 'Bytes of a first frame read before the handshake at its head (and token) is accepted; a frame that shows no acceptable handshake within them closes the connection (Sluice-specific).',
    },
    {
      name: 'request-timeout',
      type: 'int',
      min: 1,
      docs: 'Milliseconds a received batch may wait for its channel commit before the sender is answered FAILED; default flume.avro.request.timeout (15000). Sluice-specific: Flume answers FAILED when its channel put fails.',
    },
    ...CONNECTION_LIMIT_PROPERTIES,
  ],
  create(p, ctx) {
    const port = p.int('port');
    if (port > 65535) throw p.error('port', `port must be between 0 and 65535, got ${port}`);
    let ipRules: IpRule[] | undefined;
    if (p.bool('ipFilter')) {
      const parsed = parseIpFilterRules(p.string('ipFilterRules'));
      if (typeof parsed === 'string') throw p.error('ipFilterRules', parsed);
      ipRules = parsed;
    }
    const logger = ctx.logger.child(p.component);
    const tls = readNgServerTls(p, logger);
    return new AvroEventSource(
      p.component,
      {
        bind: p.string('bind'),
        port,
        ...readNgCompression(p),
        ...tls,
        token: readNgToken(p),
        maxFrameSize: p.int('maxFrameSize'),
        handshakeFrameSize: p.int('maxHandshakeFrameSize'),
        peerFilter: ipRules && ((address) => ipRefusal(ipRules, address, p.component)),
        timeoutScope: 'delivery',
        requestTimeoutMs: p.has('request-timeout')
          ? p.int('request-timeout')
          : ctx.config.getInt('flume.avro.request.timeout'),
        limits: readConnectionLimits(p),
      },
      logger,
    );
  },
};
