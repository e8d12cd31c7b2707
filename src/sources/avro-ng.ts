import net from 'node:net';
import type { NgSourceDef } from '../catalog/ng.js';
import {
  CONNECTION_LIMIT_PROPERTIES,
  readNgConnectionLimits,
} from '../components/options/connection-limits.js';
import { NG_SERVER_TLS_PROPERTIES, readNgServerTls } from '../components/options/tls.js';
import { acked } from '../core/ack.js';
import { WakeableDelay } from '../core/backoff.js';
import { SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventSource } from '../core/pipeline.js';
import { listenFlumeSource, type TransportArgs } from '../rpc/avro/component-options.js';
import { avroSourceHandlers } from '../rpc/avro/flume-protocol.js';
import { DEFAULT_HANDSHAKE_FRAME_SIZE, DEFAULT_MAX_FRAME_SIZE } from '../rpc/avro/frame.js';
import { Status, type StatusValue } from '../rpc/avro/protocols.js';
import type { AnyHandler, AvroServer, PeerInfo } from '../rpc/avro/server.js';
import type { ConnectionLimits, GuardStats } from '../rpc/connection-guard.js';

/**
 * Flume NG's avro source for agent files. Unlike the OG avroSource (which answers OK once a batch is in
 * its queue), a sender's appendBatch is answered OK only after its events were committed to the
 * channels, as Flume's AvroSource answers after `channelProcessor.processEventBatch`.
 *
 * How the source learns of the commit: each received batch is handed out whole by `next()` with an ack
 * (core/ack.ts, docs/acks.md); the agent's SourceRunner settles it ok once the put committed, failed when
 * the channel refused it, and the sender is answered OK or FAILED then (it resends a FAILED batch). A
 * batch still waiting to be handed out when the source closes is answered FAILED, and so is one handed
 * out whose ack does not come within a grace period. Senders wait for their answers meanwhile: that is
 * the backpressure (a connection handles several requests at once and answers them in order).
 */
interface Pending {
  events: Event[];
  peer: PeerInfo;
  resolve: (s: StatusValue) => void;
  timer: NodeJS.Timeout | undefined;
  /** Answered FAILED at the request timeout while the runner still held it. */
  expired: boolean;
  /** Handed out by next(), its ack not settled yet. */
  handed: boolean;
}

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
export function ipAllowed(rules: readonly IpRule[], address: string): { allowed: boolean; rule?: string } {
  const ip = plainAddress(address);
  const loopback = ip === '::1' || ip.startsWith('127.');
  for (const r of rules) {
    const subject = r.kind === 'ip' ? ip : loopback ? 'localhost' : ip;
    if (r.pattern.test(subject)) return { allowed: r.allow, rule: r.text };
  }
  return { allowed: true };
}

export interface NgAvroSourceOptions extends TransportArgs {
  bind: string;
  port: number;
  ipRules: IpRule[] | undefined;
  /** A batch not committed this long after it arrived is answered FAILED (request-timeout). */
  requestTimeoutMs?: number | undefined;
  limits?: ConnectionLimits | undefined;
  handshakeFrameSize?: number | undefined;
}

/** flume.avro.request.timeout's default, for sources built without a site configuration. */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** How long close() waits for the runner to finish putting the batch in hand before answering FAILED. */
const CLOSE_GRACE_MS = 5000;

export class NgAvroSource implements EventSource {
  private readonly queue: Pending[] = [];
  /** Batches handed out whose acks have not settled. */
  private readonly inHand = new Set<Pending>();
  private reader: ((b: Batch | null) => void) | undefined;
  /** Close waits here for the batches in hand to settle (or CLOSE_GRACE_MS). */
  private readonly allSettled = new WakeableDelay();
  private server: AvroServer | undefined;
  private closed = false;
  private readonly requestTimeoutMs: number;
  readonly stats = {
    batches: 0,
    committed: 0,
    failed: 0,
    refused: 0,
    timedOut: 0,
    committedAfterFailed: 0,
    abandoned: 0,
  };

  constructor(
    readonly name: string,
    readonly opts: NgAvroSourceOptions,
    private readonly logger: Logger,
  ) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  get port(): number {
    return this.server?.port ?? this.opts.port;
  }

  /** Connections accepted and closed by the limits (undefined while closed). */
  get connections(): Readonly<GuardStats> | undefined {
    return this.server?.connectionStats;
  }

  async open(): Promise<void> {
    if (this.server) return;
    this.closed = false;
    const handlers = avroSourceHandlers((events, peer) => this.receive(events, peer));
    this.server = await listenFlumeSource(
      this.opts,
      this.opts.ipRules ? this.filtered(handlers, this.opts.ipRules) : handlers,
      this.logger,
      this.name,
    );
  }

  next(): Batch | null | Promise<Batch | null> {
    if (this.closed) return null;
    let p = this.queue.shift();
    // A batch whose sender has gone got no OK and will be sent again: committing it would duplicate it.
    while (p?.peer.closed) {
      this.stats.abandoned += p.events.length;
      clearTimeout(p.timer);
      p = this.queue.shift();
    }
    if (p) return this.handOut(p);
    return new Promise((resolve) => {
      this.reader = resolve;
    });
  }

  private handOut(p: Pending): Batch {
    p.handed = true;
    this.inHand.add(p);
    return acked(p.events, (error) => this.settled(p, error));
  }

  /** The runner committed the batch (OK to its sender) or could not (FAILED: the sender resends). */
  private settled(p: Pending, error: Error | undefined): void {
    if (!this.inHand.delete(p)) return;
    p.handed = false;
    if (error !== undefined) this.fail(p);
    else {
      clearTimeout(p.timer);
      this.stats.committed += p.events.length;
      // Its sender already heard FAILED and will send it again: at least once, as Flume promises.
      if (p.expired) this.stats.committedAfterFailed += p.events.length;
      else p.resolve(Status.OK);
    }
    if (this.inHand.size === 0) this.allSettled.wake();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0)) this.fail(p);
    const r = this.reader;
    this.reader = undefined;
    r?.(null);
    if (this.inHand.size > 0) {
      // The runner still puts the batches in hand after close; their acks answer their senders.
      await this.allSettled.wait(CLOSE_GRACE_MS);
      for (const p of this.inHand) this.fail(p);
      this.inHand.clear();
    }
    const server = this.server;
    this.server = undefined;
    if (server) {
      // Let the last answers reach the socket (compression and TLS write asynchronously) before closing.
      await new Promise((res) => setTimeout(res, 50));
      await server.close();
    }
  }

  private fail(p: Pending): void {
    clearTimeout(p.timer);
    if (p.expired) return;
    this.stats.failed += p.events.length;
    p.resolve(Status.FAILED);
  }

  /**
   * The channel did not take the batch within the request timeout: answer FAILED so the sender can act
   * (Flume's AvroSource answers FAILED when its channel put fails). A batch still queued is dropped; the
   * one the runner holds is still put when room comes, which the sender's retry then duplicates.
   */
  private expire(p: Pending): void {
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
    else if (!p.handed) return;
    if (this.stats.timedOut++ === 0) {
      this.logger.warn(
        `${this.name}: answered FAILED to a batch of ${p.events.length} events not committed within ${this.requestTimeoutMs} ms (a channel is full); further ones are only counted`,
      );
    }
    this.fail(p);
    p.expired = true;
  }

  private receive(events: Event[], peer: PeerInfo): StatusValue | Promise<StatusValue> {
    if (this.closed) return Status.FAILED;
    if (events.length === 0) return Status.OK;
    this.stats.batches++;
    return new Promise((resolve) => {
      const p: Pending = { events, peer, resolve, timer: undefined, expired: false, handed: false };
      p.timer = setTimeout(() => this.expire(p), this.requestTimeoutMs);
      const r = this.reader;
      if (r) {
        this.reader = undefined;
        r(this.handOut(p));
      } else {
        this.queue.push(p);
      }
    });
  }

  /** Checks the peer before decoding: a refused peer's connection is closed (Flume drops it at accept). */
  private filtered(handlers: Record<string, AnyHandler>, rules: IpRule[]): Record<string, AnyHandler> {
    const out: Record<string, AnyHandler> = {};
    for (const [name, h] of Object.entries(handlers)) {
      out[name] = {
        decode: (r, peer: PeerInfo) => {
          const verdict = ipAllowed(rules, peer.address);
          if (!verdict.allowed) {
            this.stats.refused++;
            throw new SluiceError(
              'SLUICE_RPC',
              `${peer.address} refused by ipFilterRules (${verdict.rule ?? 'no rule'})`,
              { place: { component: this.name, field: 'ipFilterRules' } },
            );
          }
          return h.decode(r, peer);
        },
        handle: (req, peer) => h.handle(req, peer),
        encode: (w, res) => h.encode(w, res),
      };
    }
    return out;
  }
}

export const ngAvroSource: NgSourceDef = {
  type: 'avro',
  kind: 'ng-source',
  specUnavailable:
    'From a spec, avro is avroSource: the same protocol with the dataflow arguments. They stay two ' +
    'components because this one answers OK only after the channel put committed, which needs channels.',
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
    {
      name: 'compression-type',
      type: 'string',
      default: 'none',
      choices: ['none', 'deflate'],
      docs: 'deflate: a zlib stream per connection each way; must match the sender.',
    },
    {
      name: 'compression-level',
      type: 'int',
      default: '6',
      min: 0,
      docs: 'zlib level 0-9 of the answers sent with deflate (Sluice-specific).',
    },
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
    const level = p.int('compression-level');
    if (level > 9) throw p.error('compression-level', `compression-level must be 0-9, got ${level}`);
    let ipRules: IpRule[] | undefined;
    if (p.bool('ipFilter')) {
      const parsed = parseIpFilterRules(p.string('ipFilterRules'));
      if (typeof parsed === 'string') throw p.error('ipFilterRules', parsed);
      ipRules = parsed;
    }
    const logger = ctx.logger.child(p.component);
    const tls = readNgServerTls(p, logger);
    const token = p.optString('token');
    return new NgAvroSource(
      p.component,
      {
        bind: p.string('bind'),
        port,
        compression: p.string('compression-type').toLowerCase() as 'none' | 'deflate',
        compressionLevel: level,
        ...tls,
        token: token === '' ? undefined : token,
        maxFrameSize: p.int('maxFrameSize'),
        handshakeFrameSize: p.int('maxHandshakeFrameSize'),
        ipRules,
        requestTimeoutMs: p.has('request-timeout')
          ? p.int('request-timeout')
          : ctx.config.getInt('flume.avro.request.timeout'),
        limits: readNgConnectionLimits(p),
      },
      logger,
    );
  },
};
