import { randomInt } from 'node:crypto';
import type { ChannelDrainer, NgSinkDef } from '../catalog/ng.js';
import {
  CONNECTION_LIMIT_PROPERTIES,
  readConnectionLimits,
} from '../components/options/connection-limits.js';
import { NG_SERVER_TLS_PROPERTIES, readNgServerTls } from '../components/options/tls.js';
import { Ack } from '../core/ack.js';
import type { ByteWriter } from '../core/byte-writer.js';
import type { Channel, Transaction as Tx } from '../core/channel.js';
import { asSluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { loadTls, type TlsArgs } from '../rpc/avro/component-options.js';
import { FlumeEventEncoder } from '../rpc/avro/flume-event.js';
import { sparkFlumeProtocol } from '../rpc/avro/protocols.js';
import { AvroServer, handler } from '../rpc/avro/server.js';
import type { ConnectionLimits } from '../rpc/connection-guard.js';

/**
 * Spark's SparkSink (spark-streaming-flume-sink): instead of pushing, the agent serves
 * SparkFlumeProtocol and Spark's polling receivers pull. Each getEventBatch opens a channel
 * transaction and takes events into it; the transaction stays open until the poller acks (commit),
 * nacks (rollback) or stays silent for `timeout` seconds (rollback). A rollback returns the events to
 * the head of the channel, so they are delivered again, in their order, to the next poll.
 *
 * `threads` bounds the transactions open at once (Spark's pool of transaction processors); further
 * getEventBatch calls wait for one to finish. A connection answers its requests in order, so a poller
 * that asks for another batch on the same connection before acking the last one, while every slot is
 * taken, only gets it after the timeout: pollers should ack before asking again (Spark's do).
 */
export interface SparkSinkOptions {
  hostname: string;
  port: number;
  threads: number;
  timeoutMs: number;
  backoffMs: number;
  sluiceHeaders: boolean;
  /**
   * Sluice pollers only: Spark's receiver speaks plain TCP without a handshake token, so a sink with
   * either cannot serve a real Spark cluster.
   */
  tls?: TlsArgs | undefined;
  token?: string | undefined;
  limits?: ConnectionLimits | undefined;
}

export const SPARK_STOPPED = 'Spark sink has been stopped!';

interface Reply {
  errorMsg: string;
  sequenceNumber: string;
  events: Batch;
}

/**
 * A batch sent to a poller: its transaction stays open until the batch's ack settles (core/ack.ts): ok
 * on the poller's ack (commit), failed on its nack, the timeout or a stop (rollback). The first settles
 * it; a late ack after the timeout, or a nack racing a stop, changes nothing.
 */
interface OpenBatch {
  tx: Tx;
  count: number;
  timer: NodeJS.Timeout | undefined;
  ack: Ack;
  /** The commit or rollback the settlement started. */
  done: Promise<void> | undefined;
}

const NACKED = new Error('nacked by the poller');

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomPrefix(): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += ALNUM[randomInt(ALNUM.length)];
  return s;
}

function stoppedReply(): Reply {
  return { errorMsg: SPARK_STOPPED, sequenceNumber: '', events: [] };
}

export class SparkSink implements ChannelDrainer {
  /** Fixed for the sink's life; sequence numbers are this and a counter from 1. */
  readonly prefix = randomPrefix();
  private counter = 0;
  private channel: Channel | undefined;
  private server: AvroServer | undefined;
  private stopped = false;
  private free: number;
  private readonly slotWaiters: ((ok: boolean) => void)[] = [];
  private readonly open = new Map<string, OpenBatch>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly encoder: FlumeEventEncoder;
  readonly stats = { batches: 0, sent: 0, committed: 0, rolledBack: 0, timedOut: 0, errors: 0 };

  constructor(
    readonly name: string,
    readonly opts: SparkSinkOptions,
    private readonly logger: Logger,
  ) {
    this.free = opts.threads;
    this.encoder = new FlumeEventEncoder({ sluiceHeaders: opts.sluiceHeaders });
  }

  /** The bound port (useful when configured as 0). */
  get port(): number {
    return this.server?.port ?? this.opts.port;
  }

  /** Transactions waiting for an ack. */
  get pending(): number {
    return this.open.size;
  }

  async start(channel: Channel): Promise<void> {
    this.channel = channel;
    this.stopped = false;
    const server = new AvroServer({
      protocol: sparkFlumeProtocol,
      handlers: {
        getEventBatch: handler<number, Reply>({
          decode: (r) => r.int(),
          handle: (n) => this.getEventBatch(n),
          encode: (w, res) => this.writeReply(w, res),
        }),
        ack: handler<string, void>({
          decode: (r) => r.string(),
          handle: (seq) => this.finish(seq, true),
          encode: () => {},
        }),
        nack: handler<string, void>({
          decode: (r) => r.string(),
          handle: (seq) => this.finish(seq, false),
          encode: () => {},
        }),
      },
      port: this.opts.port,
      host: this.opts.hostname,
      tls: this.opts.tls?.ssl ? loadTls(this.opts.tls, this.name, 'server') : undefined,
      token: this.opts.token,
      limits: this.opts.limits,
      logger: this.logger,
      name: this.name,
    });
    await server.listen();
    this.server = server;
    this.logger.info(
      `serving SparkFlumeProtocol, listening on ${server.address}, for channel ${channel.name}`,
    );
  }

  /**
   * Rolls back every batch not yet acked (their events stay in the channel) and closes the port.
   * A poll still waiting inside a channel take finishes on its own when the take returns (the agent
   * stops the channel next, which ends the wait) and rolls back what it took.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.slotWaiters.splice(0)) w(false);
    for (const s of this.sleepers) {
      clearTimeout(s.timer);
      s.wake();
    }
    this.sleepers.clear();
    await Promise.all([...this.open.keys()].map((seq) => this.finish(seq, false)));
    // Polls just answered with the stop message get written before the connections are dropped.
    await new Promise((r) => setImmediate(r));
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  private writeReply(w: ByteWriter, res: Reply): void {
    w.string(res.errorMsg);
    w.string(res.sequenceNumber);
    this.encoder.writeBatch(w, res.events);
  }

  private async getEventBatch(n: number): Promise<Reply> {
    if (this.stopped) return stoppedReply();
    if (n < 1)
      return { errorMsg: `getEventBatch(${n}): n must be at least 1`, sequenceNumber: '', events: [] };
    const slot = this.acquire();
    if (!(slot === true || (await slot))) return stoppedReply();
    const channel = this.channel!;
    // A take beyond transactionCapacity breaks the channel contract: serve fewer than asked (Spark asks
    // for 1000 by default, a memory channel allows 100 unless configured otherwise).
    const max = Math.min(n, channel.transactionCapacity ?? n);
    const tx = channel.transaction();
    let events: Batch = [];
    let begun = false;
    try {
      tx.begin();
      begun = true;
      while (!this.stopped) {
        const got = tx.take(max);
        events = got instanceof Promise ? await got : got;
        if (events.length > 0) break;
        await this.sleep(this.opts.backoffMs);
      }
    } catch (e) {
      const err = asSluiceError(e);
      this.stats.errors++;
      this.logger.warn(`${this.name}: getEventBatch failed: ${err.oneLine()}`);
      await this.abandon(tx, begun);
      return { errorMsg: err.message, sequenceNumber: '', events: [] };
    }
    if (this.stopped) {
      await this.abandon(tx, true);
      return stoppedReply();
    }
    const seq = `${this.prefix}${++this.counter}`;
    const o: OpenBatch = { tx, count: events.length, timer: undefined, ack: new Ack(), done: undefined };
    o.ack.onSettle((error) => {
      this.open.delete(seq);
      clearTimeout(o.timer);
      o.done = this.end(seq, o, error === undefined);
    });
    o.timer = setTimeout(() => {
      this.stats.timedOut++;
      this.logger.warn(
        `${this.name}: no ack for ${seq} within ${this.opts.timeoutMs / 1000}s: rolled back, its ${events.length} events will be sent again`,
      );
      o.ack.fail(new Error(`no ack within ${this.opts.timeoutMs / 1000}s`));
    }, this.opts.timeoutMs);
    this.open.set(seq, o);
    this.stats.batches++;
    this.stats.sent += events.length;
    return { errorMsg: '', sequenceNumber: seq, events };
  }

  /** The poller's ack or nack, or a stop; unknown and already settled numbers do nothing. */
  private finish(seq: string, commit: boolean): Promise<void> {
    const o = this.open.get(seq);
    if (!o) return Promise.resolve();
    if (commit) o.ack.ok();
    else o.ack.fail(NACKED);
    return o.done ?? Promise.resolve();
  }

  /** Commits (ack) or rolls back the batch's transaction, once its ack settled. */
  private async end(seq: string, o: OpenBatch, commit: boolean): Promise<void> {
    try {
      if (commit) {
        await o.tx.commit();
        this.stats.committed += o.count;
      } else {
        await o.tx.rollback();
        this.stats.rolledBack += o.count;
      }
    } catch (e) {
      this.stats.errors++;
      this.logger.warn(
        `${this.name}: ${commit ? 'commit' : 'rollback'} of ${seq} failed: ${asSluiceError(e).oneLine()}`,
      );
      if (commit) {
        try {
          await o.tx.rollback();
          this.stats.rolledBack += o.count;
        } catch {
          // The channel is gone (stopping): nothing more can be done for these events here.
        }
      }
    } finally {
      o.tx.close();
      this.release();
    }
  }

  private async abandon(tx: Tx, begun: boolean): Promise<void> {
    try {
      if (begun) await tx.rollback();
    } catch (e) {
      this.logger.warn(`${this.name}: rollback failed: ${asSluiceError(e).oneLine()}`);
    } finally {
      tx.close();
      this.release();
    }
  }

  private acquire(): true | Promise<boolean> {
    if (this.free > 0) {
      this.free--;
      return true;
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private release(): void {
    const w = this.slotWaiters.shift();
    if (w) w(true);
    else this.free++;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s = {
        timer: setTimeout(() => {
          this.sleepers.delete(s);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleepers.add(s);
    });
  }
}

export const sparkSink: NgSinkDef = {
  kind: 'ng-sink',
  type: 'org.apache.spark.streaming.flume.sink.SparkSink',
  aliases: ['spark'],
  specUnavailable:
    'It serves remote pollers straight from a channel, in its own transactions; a spec has no channels.',
  docs:
    "Spark's pull sink: serves SparkFlumeProtocol (Avro RPC, Netty framing, no compression or TLS) to Spark " +
    'Streaming polling receivers (FlumeUtils.createPollingStream) and Sluice pollers. Each getEventBatch(n) ' +
    'takes up to n events (capped at the channel transactionCapacity: Spark asks 1000 by default, raise a ' +
    "memory channel's 100 to match) in a channel transaction that the poller's ack commits; a nack, or no " +
    'ack within timeout seconds, rolls it back and the events are delivered again. It manages its own ' +
    'transactions, so it cannot be a member of a sink group. Sluice-specific ssl (PEM keystore) and token ' +
    "protect the port for Sluice's SparkPoller; Spark's own receivers support neither.",
  properties: [
    {
      name: 'hostname',
      type: 'string',
      docs: "Address to listen on; default the site's sluice.source.bind (127.0.0.1). Spark's receivers usually poll from other hosts: set the agent's address or 0.0.0.0 (Spark's own default), behind a firewall, as the sink has no authentication Spark can use.",
    },
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
      default: '10',
      min: 1,
      docs: 'Batches handed out and not yet acked, at most (Spark: transaction processor threads); more polls wait.',
    },
    {
      name: 'timeout',
      type: 'int',
      default: '60',
      min: 1,
      docs: 'Seconds a batch waits for its ack before it is rolled back and the events are sent again.',
    },
    {
      name: 'backoffInterval',
      type: 'int',
      default: '200',
      min: 0,
      docs: 'Milliseconds to wait before looking again when the channel is empty (after its keep-alive wait).',
    },
    {
      name: 'sluiceHeaders',
      type: 'bool',
      default: 'true',
      docs: 'Also send sluice.priority and sluice.nanos headers (Sluice-specific; Spark ignores unknown headers).',
    },
    ...NG_SERVER_TLS_PROPERTIES.map((s) =>
      s.name === 'ssl'
        ? { ...s, docs: `${s.docs} For Sluice pollers only: Spark's receivers have no TLS.` }
        : s,
    ),
    {
      name: 'token',
      type: 'string',
      docs: "Shared secret pollers present in the Avro handshake (Sluice's SparkPoller with the same token); others are refused. Spark's receivers cannot send one.",
    },
    ...CONNECTION_LIMIT_PROPERTIES,
  ],
  create(props, ctx) {
    const port = props.int('port');
    if (port > 65535) throw props.error('port', `port must be between 0 and 65535, got ${port}`);
    const logger = ctx.logger.child(props.component);
    const tls = readNgServerTls(props, logger);
    const token = props.optString('token');
    return new SparkSink(
      props.component,
      {
        hostname: props.optString('hostname') ?? ctx.config.getString('sluice.source.bind'),
        port,
        threads: props.int('threads'),
        timeoutMs: props.int('timeout') * 1000,
        backoffMs: props.int('backoffInterval'),
        sluiceHeaders: props.bool('sluiceHeaders'),
        tls,
        token: token === '' ? undefined : token,
        limits: readConnectionLimits(props),
      },
      logger,
    );
  },
};
