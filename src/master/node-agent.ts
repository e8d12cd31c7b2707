import { randomUUID } from 'node:crypto';
import { asSluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { OutageLog } from '../core/outage.js';
import type { PipelineReport } from '../flow/report.js';
import type { AckStore } from '../reliability/ack-store.js';
import { MAX_ACK_TAGS } from './acks.js';
import { MasterFailover } from './failover.js';
import type { Heartbeat, HeartbeatReply, LogicalHeartbeat } from './master.js';
import { type MasterAddress, MasterBusy } from './wire.js';

/**
 * What runs a physical node's logical nodes (a SpecHost, adapted in the CLI): `apply` runs exactly the
 * nodes of `spec` (empty: none) by diff, and rejects with the placed error of a spec that does not
 * check, leaving what runs untouched.
 */
export interface LogicalNodeRunner {
  apply(spec: string): Promise<void>;
  reports(): PipelineReport[];
  stop(): Promise<void>;
}

export interface NodeAgentOptions {
  physical: string;
  host: string;
  /** The masters sharing one store (flume.master.servers): the node moves on when its own does not answer. */
  masters: readonly MasterAddress[];
  periodMs: number;
  runner: LogicalNodeRunner;
  logger: Logger;
  /** The process's ack table: what its collectors acknowledge is reported to the master. */
  acks?: AckStore;
  /** How often acknowledged tags are reported (flume.agent.ack.poll; default 1000 ms). */
  ackReportMs?: number;
}

/**
 * How long after a heartbeat that started at `started` and ended `now` the next one starts. Heartbeats
 * keep their period from one start to the next, so the time the master takes to answer does not
 * stretch it (a node the master counts LOST after three periods is one that missed three); a quarter
 * period at least separates the end of one from the start of the next, so answers slower than a
 * period do not turn into heartbeats back to back.
 */
export function nextBeatIn(started: number, now: number, periodMs: number): number {
  return Math.max(periodMs / 4, started + periodMs - now);
}

interface Running {
  version: number;
  spec: string;
}

/**
 * The node side of the master: heartbeats every period with the state and report of each logical node,
 * and applies the configurations the master answers through the runner, without restarting anything
 * that did not change. A configuration the runner refuses is reported FAILED with its error and the
 * node keeps running its last good one; the same version is not tried again.
 */
export class NodeAgent {
  private readonly running = new Map<string, Running>();
  private readonly failed = new Map<string, { version: number; error: string }>();
  private mapped: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private beating: Promise<void> = Promise.resolve();
  /** The configuration being applied, and the newest answer waiting for it. */
  private applying: Promise<void> | undefined;
  private nextReply: HeartbeatReply | undefined;
  private readonly outage: OutageLog;
  private readonly instance = randomUUID();
  private readonly masters: MasterFailover;
  /** Acknowledged tags taken from the ack table that the master has not yet confirmed. */
  private unsentAcks: string[] = [];
  private ackTimer: NodeJS.Timeout | undefined;
  private ackReportsStopped = false;
  private reportingAcks: Promise<void> = Promise.resolve();
  /** Set while the master says it is busy: the wait before the next heartbeat, with jitter. */
  private comeBackMs: number | undefined;

  constructor(private readonly opts: NodeAgentOptions) {
    this.masters = new MasterFailover(opts.masters, (from, to, why) =>
      opts.logger.warn(
        `master ${from.host}:${from.port} did not answer (${why.message}); heartbeating to master ${to.host}:${to.port}`,
      ),
    );
    this.outage = new OutageLog(opts.logger, `heartbeats to the master (${this.masters.describe()})`, {
      down: 'failing',
      up: 'answered again',
      meanwhile: 'the logical nodes keep running; heartbeating on',
    });
  }

  start(): void {
    this.opts.logger.info(
      `physical node ${this.opts.physical} heartbeating to master ${this.masters.describe()} every ${this.opts.periodMs} ms`,
    );
    this.schedule(0);
    this.scheduleAckReport();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.beating = this.send().finally(() =>
        this.schedule(this.comeBackMs ?? nextBeatIn(started, Date.now(), this.opts.periodMs)),
      );
    }, ms);
  }

  /** One heartbeat, and the configuration it brings applied; a change is reported at once. */
  async beat(): Promise<void> {
    await this.send();
    await this.applying;
  }

  /**
   * One heartbeat; what the master answered is applied beside the heartbeats, not in their way: a
   * configuration that takes long to apply (a sink draining a batch a peer does not answer) must not
   * make the master think the whole physical node is LOST. Only the newest answer that arrives while
   * one is applied is applied after it.
   */
  private async send(): Promise<void> {
    let reply: HeartbeatReply;
    try {
      reply = await this.masters.call<HeartbeatReply>(
        'POST',
        '/heartbeat',
        this.heartbeat(),
        Math.max(2 * this.opts.periodMs, 5_000),
      );
    } catch (e) {
      if (e instanceof MasterBusy) {
        // A loaded master is alive: no failover, no outage; up to half again as long, so the refused
        // nodes do not all come back in the same instant.
        if (this.comeBackMs === undefined)
          this.opts.logger.warn(`${e.message}; heartbeats wait as told until it answers`);
        this.comeBackMs = Math.round(e.retryAfterMs * (1 + Math.random() / 2));
        return;
      }
      this.outage.failed(e);
      return;
    }
    if (this.comeBackMs !== undefined) {
      this.comeBackMs = undefined;
      this.opts.logger.info('the master answered a heartbeat again after being busy');
    }
    this.outage.recovered();
    if (this.stopped) return;
    if (this.applying !== undefined) {
      this.nextReply = reply;
      return;
    }
    this.applying = this.applyInTurn(reply).finally(() => {
      this.applying = undefined;
    });
  }

  private async applyInTurn(first: HeartbeatReply): Promise<void> {
    let reply: HeartbeatReply | undefined = first;
    while (reply !== undefined && !this.stopped) {
      this.nextReply = undefined;
      // A change is reported at once; the answer to that report is applied next in this loop.
      if ((await this.apply(reply)) && this.nextReply === undefined && !this.stopped) await this.send();
      reply = this.nextReply;
    }
  }

  private scheduleAckReport(): void {
    if (this.opts.acks === undefined || this.ackReportsStopped) return;
    this.ackTimer = setTimeout(() => {
      this.reportingAcks = this.reportAcks().finally(() => this.scheduleAckReport());
    }, this.opts.ackReportMs ?? 1_000);
  }

  /** Acknowledged tags the master has not confirmed yet. */
  get acksWaiting(): number {
    return this.unsentAcks.length;
  }

  /**
   * Tells the master the tags the node's collectors acknowledged since the last report that got through
   * (POST /acks, one request for all of them, none when there are none). The master saves them before
   * answering; a report that fails is sent again with the next (the table's bound caps what waits).
   */
  async reportAcks(): Promise<void> {
    if (this.opts.acks === undefined) return;
    const room = MAX_ACK_TAGS - this.unsentAcks.length;
    if (room > 0) for (const t of this.opts.acks.takeReported(room)) this.unsentAcks.push(t);
    if (this.unsentAcks.length === 0) return;
    try {
      await this.masters.call(
        'POST',
        '/acks',
        { tags: this.unsentAcks },
        Math.max(2 * this.opts.periodMs, 5_000),
      );
      // Reports run one at a time (the timer waits for each), so these are exactly the tags sent.
      this.unsentAcks = [];
    } catch (e) {
      this.outage.failed(e);
    }
  }

  /** Waits up to one period for new nodes to leave CONFIGURING, so the next report says how they run. */
  private async settle(): Promise<void> {
    const deadline = Date.now() + this.opts.periodMs;
    while (!this.stopped && Date.now() < deadline) {
      if (!this.opts.runner.reports().some((r) => r.state === 'CONFIGURING')) return;
      await new Promise((r) => setTimeout(r, Math.min(20, this.opts.periodMs)));
    }
  }

  heartbeat(): Heartbeat {
    const reports = new Map(this.opts.runner.reports().map((r) => [r.name, r]));
    const names = new Set([...this.mapped, ...this.running.keys()]);
    const nodes: LogicalHeartbeat[] = [];
    for (const name of names) {
      const run = this.running.get(name);
      const fail = this.failed.get(name);
      const report = reports.get(name);
      const state = report?.state ?? (fail !== undefined ? 'ERROR' : run !== undefined ? 'IDLE' : 'HELLO');
      const n: LogicalHeartbeat = { name, state, version: run?.version ?? 0 };
      if (fail !== undefined) {
        n.applied = 'FAILED';
        n.error = fail.error;
      } else if (run !== undefined) n.applied = 'APPLIED';
      if (report !== undefined) n.report = report;
      nodes.push(n);
    }
    return {
      physical: this.opts.physical,
      host: this.opts.host,
      instance: this.instance,
      periodMs: this.opts.periodMs,
      nodes,
    };
  }

  /** Applies what the master answered; true when something changed. */
  private async apply(reply: HeartbeatReply): Promise<boolean> {
    this.mapped = reply.nodes.map((n) => n.name);
    const target = new Map<string, Running>();
    for (const n of reply.nodes)
      if (n.spec !== undefined) target.set(n.name, { version: n.version, spec: n.spec });
    const changed = [...target].filter(
      ([name, t]) =>
        this.running.get(name)?.version !== t.version && this.failed.get(name)?.version !== t.version,
    );
    const removed = [...this.running.keys()].filter((name) => !target.has(name));
    if (changed.length === 0 && removed.length === 0) return false;
    for (const name of removed) this.failed.delete(name);

    const next = new Map<string, Running>();
    for (const [name, t] of target) {
      const run = this.running.get(name);
      if (changed.some(([c]) => c === name)) next.set(name, t);
      else if (run !== undefined) next.set(name, run);
    }
    // A refresh sends a new version of the same text: the runner's diff would keep the node as it is,
    // so it is taken out first and started again.
    const refreshed = changed.filter(([name, t]) => this.running.get(name)?.spec === t.spec).map(([n]) => n);
    const textOf = (m: Map<string, Running>, without: readonly string[] = []) =>
      [...m]
        .filter(([n]) => !without.includes(n))
        .map(([, r]) => r.spec)
        .join('\n');
    const what = changed.map(([n, t]) => `${n} v${t.version}`).join(', ');
    try {
      if (refreshed.length > 0) await this.opts.runner.apply(textOf(next, refreshed));
      await this.opts.runner.apply(textOf(next));
    } catch (e) {
      const error = asSluiceError(e).oneLine();
      for (const [name, t] of changed) this.failed.set(name, { version: t.version, error });
      this.opts.logger.error(
        `configuration refused (${what}): ${error}; the running nodes stay as they were`,
      );
      return true;
    }
    const previous = new Map(this.running);
    this.running.clear();
    for (const [name, r] of next) this.running.set(name, r);
    for (const [name] of changed) this.failed.delete(name);
    const parts = [
      ...(changed.length > 0 ? [what] : []),
      ...(removed.length > 0 ? [`removed ${removed.join(', ')}`] : []),
    ];
    this.opts.logger.info(`configuration applied: ${parts.join('; ')}`);
    await this.settle();
    await this.revertFailedStarts(
      changed.map(([n, t]) => [n, t.version] as const),
      previous,
      textOf,
    );
    return true;
  }

  /**
   * A changed node that checked but could not start (a port in use, a missing directory) is in ERROR:
   * it is reported FAILED with that error and its previous configuration, when it had one, runs again.
   */
  private async revertFailedStarts(
    changed: readonly (readonly [string, number])[],
    previous: ReadonlyMap<string, Running>,
    textOf: (m: Map<string, Running>) => string,
  ): Promise<void> {
    const reports = new Map(this.opts.runner.reports().map((r) => [r.name, r]));
    const broken = changed.filter(([n]) => reports.get(n)?.state === 'ERROR');
    if (broken.length === 0) return;
    const back = new Map(this.running);
    for (const [name, version] of broken) {
      const error = reports.get(name)?.error ?? 'the node failed to start';
      this.failed.set(name, { version, error });
      const prior = previous.get(name);
      if (prior !== undefined) back.set(name, prior);
    }
    const reverted = broken.filter(([n]) => previous.has(n)).map(([n]) => n);
    const what = broken.map(([n, v]) => `${n} v${v}`).join(', ');
    if (reverted.length === 0) {
      this.opts.logger.error(
        `configuration failed to start (${what}); no earlier configuration to return to`,
      );
      return;
    }
    try {
      await this.opts.runner.apply(textOf(back));
      for (const n of reverted) this.running.set(n, back.get(n)!);
      this.opts.logger.error(
        `configuration failed to start (${what}); back to the previous one: ${reverted.map((n) => `${n} v${back.get(n)!.version}`).join(', ')}`,
      );
    } catch (e) {
      this.opts.logger.error(
        `configuration failed to start (${what}) and the previous one was refused: ${asSluiceError(e).oneLine()}`,
      );
    }
  }

  /**
   * Stops heartbeating and drains every logical node. Acks are still reported while the nodes drain
   * (an end-to-end agent waits for the acks of a collector that may run in this very process), and
   * what is left once they stopped is reported last.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.beating;
    await this.applying;
    await this.opts.runner.stop();
    this.ackReportsStopped = true;
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    await this.reportingAcks;
    await this.reportAcks();
  }
}
