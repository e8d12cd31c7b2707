import type { Handover } from '../catalog/types.js';
import { takenAck } from '../core/ack.js';
import { Backoff, WakeableDelay } from '../core/backoff.js';
import { asSluiceError, errnoOf, SluiceError } from '../core/errors.js';
import type { Batch, Event } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import { OutageLog } from '../core/outage.js';
import type { EventSink, ReliabilityFigures, SinkCounts } from '../core/pipeline.js';
import type { WalStats } from '../storage/wal/index.js';
import { beginMarker, endMarker, newGroupTag, tagMessages } from './ack-group.js';
import type { AckClient } from './ack-service.js';
import { AgentLog, type LogGroup } from './agent-log.js';

/**
 * Where an end-to-end sink sends its groups: a sink (the collector's Avro client, possibly behind
 * decorators) and, with acknowledgements, the client that asks that collector which groups are durable.
 */
export interface AckRoute {
  name: string;
  sink: EventSink;
  /**
   * Where to ask which groups are durable. Without one (a sub sink that is no Avro client) nobody can
   * ever acknowledge: a group is then done once the sink accepted all of it, as with writeAhead.
   */
  acks?: AckClient | undefined;
  /**
   * Appends in flight at once (default 1: each awaited, as every sink expects). An Avro client sink
   * pipelines them on its connection in order, so the end-to-end sinks give theirs SEND_WINDOW.
   */
  window?: number;
}

export interface WriteAheadOptions {
  /** The log directory (agentLogDir(..., 'writeahead')). */
  dir: string;
  /** The logical node, part of every group tag. */
  node: string;
  /** ackedWriteAhead: groups carry ack markers and are kept until the collector acknowledges them. */
  acked: boolean;
  /** A group is rolled (ended and sent in full) this often; also the longest retry backoff. */
  maxMillis: number;
  /** A group is rolled once its batches reach this many encoded bytes. */
  groupBytes?: number;
  /** A group sent and not acknowledged after this long is sent again. */
  retransmitMs: number;
  /** How often collectors are asked which groups are acknowledged. */
  pollMs: number;
  /** How long close() waits for every group to be acknowledged. */
  closeTimeoutMs: number;
  /**
   * `logsKept` once the node is being replaced by a version that keeps this log: close() then
   * waits only for the log to hold every accepted batch, and leaves the groups not yet acknowledged to
   * the successor, which opens the same log, asks which were acknowledged and sends the rest.
   */
  handover?: Handover | undefined;
  /** Bytes of accepted batches kept in memory for their first sending (beyond them, read back from disk). */
  cacheBytes?: number;
  logger: Logger;
}

interface Outgoing {
  group: LogGroup;
  /** Batches not yet sent, by index in the group (undefined: read them from the log). */
  cache: (Batch | undefined)[];
  cacheBytes: number[];
  /** The route the group was last sent through. */
  route: number;
  sentAt: number;
  sends: number;
}

/** How long a starting sink waits for collectors to say which of the groups in its log are durable. */
const ASK_FIRST_MS = 2000;
/** Batches smaller than this are gathered into one send, so the hop sees few, large appendBatch runs. */
const MERGE_BELOW = 500;
/** Sends in flight at once on an Avro route (the client pipelines them on one connection, in order). */
export const SEND_WINDOW = 4;
/**
 * Appends accepted before the oldest of them is synced: the node reads on meanwhile, and what arrives
 * while one sync runs shares the next (one sync per several pump batches), bounded in bytes too.
 */
const MAX_IN_FLIGHT = 8;
const MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;

/** Resolves in the next turn of the event loop: a synchronous source must leave room for I/O. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * ackedWriteAhead and writeAhead (Flume OG's write-ahead decorators): every accepted batch is made
 * durable in the agent's log (one fdatasync per group commit, however many batches share it), before
 * append() returns when a source waits for its ack, else while the node reads on (see append()), then
 * sent by a sender of its own, so a slow or absent collector never costs the node anything but disk.
 *
 * Batches form groups (one per `maxMillis` or `groupBytes`). With acks, a group travels between "beg"
 * and "end" markers with its checksum (ack-group.ts), and stays in the log until the collector it went
 * to says it is durable; a group not acknowledged within `retransmitMs` is sent again, and a failing
 * route is retried with exponential backoff up to `maxMillis` (the next route of a chain is tried
 * first). Without acks (writeAhead) a group is done once the child accepted all of it. A restart sends
 * every group the log still holds, with its tag (agent-log.ts).
 */
/** Log directories open in this process. */
const inUse = new Set<string>();

/**
 * The node's log directory, or `<dir>-2`, `<dir>-3` ... when a sink of the same node holds it (two
 * end-to-end sinks in a fan-out; a roll's next sink opening while the last one still waits for acks).
 * Sinks open in spec order, so after a restart each finds the log it wrote.
 */
function claimDir(base: string): string {
  let dir = base;
  for (let n = 2; inUse.has(dir); n++) dir = `${base}-${n}`;
  inUse.add(dir);
  return dir;
}

export class AckedWriteAheadSink implements EventSink {
  private log: AgentLog | undefined;
  /** The directory this sink's log is in (WriteAheadOptions.dir, or a sibling: see claimDir). */
  private dir: string;
  private readonly queue: Outgoing[] = [];
  /** Sent groups waiting for their acknowledgement, by tag. */
  private readonly awaiting = new Map<string, Outgoing>();
  private readonly byGroup = new Map<LogGroup, Outgoing>();
  private cached = 0;
  private readonly cacheLimit: number;
  private readonly groupBytes: number;
  private readonly wake = new Signal();
  /** Appends accepted and not yet synced (pipelined: see append()), and their encoded bytes. */
  private inFlight = 0;
  private inFlightBytes = 0;
  /** Appends waiting for room among them (the node's one, unless a decorator appends concurrently). */
  private readonly roomWaiters: (() => void)[] = [];
  /** A pipelined append failed: the next append reports it. */
  private lateFailure: SluiceError | undefined;
  private readonly routeBackoff: Backoff[];
  private readonly routeRetryAt: number[];
  private readonly outages: OutageLog[];
  private sender: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopping = false;
  private groupStartedAt = 0;
  readonly stats = { accepted: 0, acked: 0, ackedEvents: 0, retransmitted: 0, retransmittedEvents: 0 };

  constructor(
    private readonly routes: AckRoute[],
    private readonly opts: WriteAheadOptions,
  ) {
    if (routes.length === 0) throw new SluiceError('SLUICE_INTERNAL', 'an end-to-end sink needs a route');
    this.dir = opts.dir;
    this.cacheLimit = opts.cacheBytes ?? 32 * 1024 * 1024;
    this.groupBytes = opts.groupBytes ?? 64 * 1024 * 1024;
    this.routeBackoff = routes.map(
      () => new Backoff({ initialMs: 100, maxMs: Math.max(100, opts.maxMillis) }),
    );
    this.routeRetryAt = routes.map(() => 0);
    this.outages = routes.map(
      (r) =>
        new OutageLog(opts.logger, `collector ${r.name}`, { down: 'unreachable', up: 'reachable again' }),
    );
  }

  async open(): Promise<void> {
    if (this.log) return;
    this.stopping = false;
    const dir = claimDir(this.opts.dir);
    let log: AgentLog;
    try {
      log = await AgentLog.open(dir, { logger: this.opts.logger });
    } catch (e) {
      inUse.delete(dir);
      throw e;
    }
    this.dir = dir;
    this.log = log;
    try {
      for (const r of this.routes) await r.sink.open();
    } catch (e) {
      this.log = undefined;
      await log.close();
      inUse.delete(dir);
      throw e;
    }
    const resend = await this.askFirst(log);
    for (const g of resend) {
      this.stats.retransmitted++;
      this.stats.retransmittedEvents += g.events;
      this.enqueue(g);
    }
    if (resend.length > 0) {
      const events = resend.reduce((n, g) => n + g.events, 0);
      this.opts.logger.info(
        `${resend.length} group(s) (${events} events) not acknowledged before the last stop: sending them again`,
      );
    }
    const tick = Math.max(10, Math.min(this.opts.pollMs, this.opts.maxMillis));
    this.timer = setInterval(() => this.tick(), tick);
    this.timer.unref();
    this.sender = this.sendLoop();
  }

  /**
   * The groups found in the log at start that no collector acknowledged: each collector is asked first
   * (for ASK_FIRST_MS at most), since the acknowledgement of the last groups may have been on its way
   * when the node died; those already durable are not sent twice.
   */
  private async askFirst(log: AgentLog): Promise<LogGroup[]> {
    const found = log.recovered;
    if (found.length === 0 || !this.opts.acked) return [...found];
    const tags = found.map((g) => g.tag);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve([]), ASK_FIRST_MS);
    });
    const answers = await Promise.all(
      this.routes.map((r) =>
        r.acks ? Promise.race([r.acks.checkAck(tags).catch(() => [] as string[]), late]) : [],
      ),
    );
    clearTimeout(timer);
    const acked = new Set(answers.flat());
    const resend: LogGroup[] = [];
    for (const g of found) {
      if (!acked.has(g.tag)) resend.push(g);
      else {
        this.stats.acked++;
        this.stats.ackedEvents += g.events;
        await log.acknowledge(g);
      }
    }
    return resend;
  }

  append(batch: Batch): void | Promise<void> {
    if (batch.length === 0) return;
    const log = this.log;
    if (!log || this.stopping) {
      return Promise.reject(new SluiceError('SLUICE_CLOSED', `write-ahead log ${this.dir} is not open`));
    }
    const failed = this.lateFailure;
    if (failed !== undefined) {
      this.lateFailure = undefined;
      return Promise.reject(failed);
    }
    // A batch whose ack (or an ack upstream of an array no runner took) says "safe" once append
    // returns is synced first. A batch its source attached no ack to is appended and the node reads
    // on: the batches it hands over meanwhile share the next sync (group commit across batches).
    if (takenAck(batch) !== null || this.cached >= this.cacheLimit) return this.accept(log, batch);
    const { bytes, durable } = this.accept(log, batch);
    this.inFlight++;
    this.inFlightBytes += bytes;
    durable.then(
      () => this.landed(bytes),
      (e: unknown) => {
        // Nobody waits on this append any more: the next one reports the failure.
        this.lateFailure ??= asSluiceError(e);
        this.landed(bytes);
      },
    );
    if (this.hasRoom()) return yieldTurn();
    return new Promise((resolve) => {
      this.roomWaiters.push(resolve);
    });
  }

  private hasRoom(): boolean {
    return this.inFlight < MAX_IN_FLIGHT && this.inFlightBytes < MAX_IN_FLIGHT_BYTES;
  }

  private landed(bytes: number): void {
    this.inFlight--;
    this.inFlightBytes -= bytes;
    while (this.roomWaiters.length > 0 && (this.hasRoom() || this.inFlight === 0)) {
      this.roomWaiters.shift()!();
    }
  }

  /** Writes `batch` into the open group; `durable` resolves once it is synced. */
  private accept(log: AgentLog, batch: Batch): { bytes: number; durable: Promise<void> } & Promise<void> {
    if (!log.open) {
      const g = log.begin(newGroupTag(this.opts.node));
      this.groupStartedAt = Date.now();
      this.enqueue(g);
    }
    const g = log.open!;
    const o = this.byGroup.get(g)!;
    const w = log.write(batch);
    const durable = w.durable.then(
      async (added) => {
        this.stats.accepted += batch.length;
        if (this.cached + added.bytes <= this.cacheLimit) {
          o.cache[added.index] = batch;
          o.cacheBytes[added.index] = added.bytes;
          this.cached += added.bytes;
        }
        if (g.bytes >= this.groupBytes && log.open === g) await log.end();
        this.wake.wake();
      },
      async (e: unknown) => {
        // The group's tail is unknown: end it where the disk says it ends, and start a new one.
        if (log.open === g) await log.end().catch(() => {});
        this.wake.wake();
        throw e;
      },
    );
    return Object.assign(durable, { bytes: w.bytes, durable });
  }

  private enqueue(g: LogGroup): void {
    const o: Outgoing = { group: g, cache: [], cacheBytes: [], route: -1, sentAt: 0, sends: 0 };
    this.byGroup.set(g, o);
    this.queue.push(o);
    this.wake.wake();
  }

  /** Rolls the open group when it is old enough, asks for acks, and queues groups that waited too long. */
  private tick(): void {
    const log = this.log;
    if (!log) return;
    const now = Date.now();
    if (log.open && log.open.events > 0 && now - this.groupStartedAt >= this.opts.maxMillis) {
      void log.end().then(
        () => this.wake.wake(),
        (e: unknown) => this.opts.logger.warn(`cannot roll group: ${asSluiceError(e).oneLine()}`),
      );
    }
    if (!this.opts.acked) return;
    for (const o of this.awaiting.values()) {
      if (now - o.sentAt < this.opts.retransmitMs) continue;
      this.awaiting.delete(o.group.tag);
      this.opts.logger.warn(
        `group ${o.group.tag} (${o.group.events} events) not acknowledged within ${this.opts.retransmitMs} ms: sending it again`,
      );
      this.stats.retransmitted++;
      this.stats.retransmittedEvents += o.group.events;
      this.queue.push(o);
      this.wake.wake();
    }
    if (!this.polling) {
      this.polling = true;
      this.poll().finally(() => {
        this.polling = false;
      });
    }
  }

  /** Asks each route's collector about the groups sent through it. */
  private async poll(): Promise<void> {
    const byRoute = new Map<number, string[]>();
    const consider = (o: Outgoing) => {
      if (o.route < 0 || !this.routes[o.route]!.acks) return;
      let tags = byRoute.get(o.route);
      if (!tags) byRoute.set(o.route, (tags = []));
      tags.push(o.group.tag);
    };
    for (const o of this.awaiting.values()) consider(o);
    // A group queued again may have been acknowledged meanwhile: no need to send it a third time.
    for (const o of this.queue) if (o.sends > 0) consider(o);
    for (const [r, tags] of byRoute) {
      let acked: string[];
      try {
        acked = await this.routes[r]!.acks!.checkAck(tags);
      } catch (e) {
        this.opts.logger.debug(`checkAck at ${this.routes[r]!.name}: ${asSluiceError(e).oneLine()}`);
        continue;
      }
      for (const tag of acked) await this.acknowledged(tag);
    }
  }

  private async acknowledged(tag: string): Promise<void> {
    let o = this.awaiting.get(tag);
    if (o) this.awaiting.delete(tag);
    else {
      const i = this.queue.findIndex((q, n) => q.group.tag === tag && (n > 0 || !this.sending));
      if (i < 0) return;
      o = this.queue.splice(i, 1)[0]!;
    }
    await this.done(o);
  }

  private async done(o: Outgoing): Promise<void> {
    this.byGroup.delete(o.group);
    this.dropCache(o);
    this.stats.acked++;
    this.stats.ackedEvents += o.group.events;
    try {
      await this.log?.acknowledge(o.group);
    } catch (e) {
      this.opts.logger.warn(
        `cannot record the acknowledgement of ${o.group.tag}: ${asSluiceError(e).oneLine()}`,
      );
    }
    this.wake.wake();
  }

  private sending = false;

  private async sendLoop(): Promise<void> {
    for (;;) {
      const o = this.queue[0];
      if (this.closingHard) return;
      if (o === undefined) {
        await this.wake.wait(this.opts.maxMillis);
        continue;
      }
      const r = this.pickRoute();
      if (r < 0) {
        const wait = Math.min(...this.routeRetryAt) - Date.now();
        await this.wake.wait(Math.max(10, Math.min(wait, this.opts.maxMillis)));
        continue;
      }
      this.sending = true;
      let complete: boolean;
      try {
        complete = await this.sendGroup(o, r);
        this.routeBackoff[r]!.reset();
        this.outages[r]!.recovered();
      } catch (e) {
        this.sending = false;
        // Closing for a handover cut the send short (below): nothing failed, the group stays logged.
        if (this.closingHard) return;
        this.routeRetryAt[r] = Date.now() + this.routeBackoff[r]!.fail();
        this.outages[r]!.failed(e, errnoOf(e) ?? asSluiceError(e).message);
        await this.routes[r]!.sink.close().catch(() => {});
        await this.routes[r]!.sink.open().catch(() => {});
        continue;
      }
      this.sending = false;
      if (!complete) continue;
      this.queue.shift();
      if (this.opts.acked && this.routes[r]!.acks) {
        o.sentAt = Date.now();
        this.awaiting.set(o.group.tag, o);
      } else await this.done(o);
    }
  }

  /** The first route not backing off: the primary as soon as its backoff allows. */
  private pickRoute(): number {
    const now = Date.now();
    for (let i = 0; i < this.routes.length; i++) if (this.routeRetryAt[i]! <= now) return i;
    return -1;
  }

  /**
   * Sends a whole group through route `r`: its "beg", every batch (from memory, else from the log), and
   * its "end" once the group is ended. False when it returned early because the group is still open and
   * the sender should look at the queue again (it resumes from the start of the group, never mid-way).
   */
  private async sendGroup(o: Outgoing, r: number): Promise<boolean> {
    const g = o.group;
    const sink = this.routes[r]!.sink;
    const maxWindow = this.routes[r]!.window ?? 1;
    const acked = this.opts.acked;
    o.route = r;
    o.sends++;
    let sum = 0;
    let next = 0;
    let out: Event[] | undefined;
    const window: Promise<void>[] = [];
    const send = async (events: Event[]) => {
      const r = sink.append(events);
      if (r) {
        // Awaited in order below; a later one failing first must not count as unhandled meanwhile.
        r.catch(() => {});
        window.push(r);
      }
      if (window.length >= maxWindow) await window.shift();
    };
    const flush = async () => {
      if (out === undefined || out.length === 0) return;
      const events = out;
      out = undefined;
      await send(events);
    };
    if (acked) await send([beginMarker(g.tagBytes)]);
    for (;;) {
      while (next < g.positions.length) {
        const i = next++;
        let batch = o.cache[i];
        if (batch !== undefined) {
          o.cache[i] = undefined;
          this.cached -= o.cacheBytes[i]!;
        } else batch = await this.log!.read(g.positions[i]!);
        if (acked) sum = tagMessages(batch, g.tagBytes, sum);
        // Large batches go as they are; small ones are gathered so the hop sees few, large requests.
        if (batch.length >= MERGE_BELOW) {
          await flush();
          await send(batch);
          continue;
        }
        out ??= [];
        for (let k = 0; k < batch.length; k++) out.push(batch[k]!);
        if (out.length >= MERGE_BELOW) await flush();
      }
      if (g.ended && next === g.positions.length) break;
      // Caught up with the writer: what is gathered goes now, the window keeps flowing meanwhile.
      await flush();
      if (this.closingHard) throw new SluiceError('SLUICE_CLOSED', 'closing');
      await this.wake.wait(this.opts.maxMillis);
    }
    await flush();
    if (acked) await send([endMarker(g.tagBytes, sum)]);
    await Promise.all(window.splice(0));
    return true;
  }

  private dropCache(o: Outgoing): void {
    for (let i = 0; i < o.cache.length; i++) if (o.cache[i] !== undefined) this.cached -= o.cacheBytes[i]!;
    o.cache.length = 0;
  }

  private closingHard = false;

  /** The log's write and sync counts while it is open (group commit shows as fewer syncs than appends). */
  get logStats(): Readonly<WalStats> | undefined {
    return this.log?.wal.stats;
  }

  counts(): SinkCounts {
    return {
      delivered: this.stats.ackedEvents,
      dropped: 0,
      retried: this.stats.retransmittedEvents,
    };
  }

  reliability(): ReliabilityFigures {
    return {
      groupsPending: this.log?.pending.length ?? 0,
      groupsAcked: this.stats.acked,
      groupsRetransmitted: this.stats.retransmitted,
      walBytes: this.log?.bytesOnDisk ?? 0,
    };
  }

  /**
   * Ends the open group, then waits until every group is acknowledged (or sent, without acks) for at
   * most `closeTimeoutMs`. Groups still pending then stay in the log for the next start, and close
   * rejects saying how many.
   */
  async close(): Promise<void> {
    const log = this.log;
    if (!log) return;
    this.stopping = true;
    const deadline = Date.now() + this.opts.closeTimeoutMs;
    const settled = new WakeableDelay();
    // The pipelined appends land first: their sources hear of them before the log closes.
    while (this.inFlight > 0 && Date.now() < deadline) await settled.wait(5);
    await log.end().catch(() => {});
    this.wake.wake();
    while (log.pending.length > 0 && Date.now() < deadline && !this.opts.handover?.logsKept) {
      await settled.wait(Math.min(50, Math.max(1, deadline - Date.now())));
    }
    this.closingHard = true;
    this.wake.wake();
    if (this.timer) clearInterval(this.timer);
    // Handing over, a send in flight is cut short rather than waited for: a collector that accepted
    // the connection and never answers would hold the new version back for the request timeout. Its
    // group stays in the log for the new version.
    if (this.opts.handover?.logsKept) for (const r of this.routes) await r.sink.close().catch(() => {});
    await this.sender?.catch(() => {});
    this.sender = undefined;
    const pending = log.pending.filter((g) => g.events > 0);
    const events = pending.reduce((n, g) => n + g.events, 0);
    this.log = undefined;
    for (const r of this.routes) {
      await r.sink.close().catch(() => {});
      await r.acks?.close().catch(() => {});
    }
    await log.close();
    inUse.delete(this.dir);
    this.queue.length = 0;
    this.awaiting.clear();
    this.byGroup.clear();
    this.cached = 0;
    this.closingHard = false;
    if (pending.length > 0 && this.opts.handover?.logsKept) {
      this.opts.logger.info(
        `${pending.length} group(s) (${events} events) not acknowledged yet: left in ${this.dir} to the node's next version`,
      );
      return;
    }
    if (pending.length > 0) {
      throw new SluiceError(
        'SLUICE_RPC',
        `${pending.length} group(s) (${events} events) not acknowledged within ${this.opts.closeTimeoutMs} ms; ` +
          `they stay in ${this.dir} and are sent again when the node starts`,
        { retriable: true },
      );
    }
  }
}

/**
 * A wake-up that is not lost when it comes before the wait: the writer signals after every durable
 * batch, and the sender, busy sending, must still see it when it next waits.
 */
class Signal {
  private pending = false;
  private readonly delay = new WakeableDelay();

  wake(): void {
    this.pending = true;
    this.delay.wake();
  }

  /** Returns at once when woken since the last wait, else after `ms` or the next wake. */
  async wait(ms: number): Promise<void> {
    if (!this.pending) await this.delay.wait(ms);
    this.pending = false;
  }
}
