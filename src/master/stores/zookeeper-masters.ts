import zookeeper from 'node-zookeeper-client';
import { asSluiceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { type CompactStatus, decodeStatus, encodeStatus, PublishedStatus } from '../fleet-status.js';
import {
  CANDIDATE_PREFIX,
  electionOrder,
  type MasterGroup,
  type MasterInfo,
  type MasterSelf,
  standing,
} from '../leader.js';

type Client = zookeeper.Client;
type ZkError = Error | zookeeper.Exception;
const { Exception, CreateMode, Event } = zookeeper;
const codeOf = (e: unknown): number | undefined => (e instanceof Exception ? e.getCode() : undefined);

/**
 * The status a master left when it stopped for good (it is in the election no more) is removed by the
 * leader once its newest report is this old: its nodes have been LOST that long, and a collector among
 * them stays out of the chains anyway (master.ts keeps a lost collector lost until it heartbeats).
 */
export const FORGET_STOPPED_MASTER_MS = 60 * 60_000;

/** "an hour", "3 hours", "12 s": how long a stopped master's status had not changed. */
function describeAge(ms: number): string {
  if (ms >= 2 * 3_600_000) return `${Math.floor(ms / 3_600_000)} hours`;
  if (ms >= 3_600_000) return 'an hour';
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** What the group uses of the ZooKeeperStore (stores/zookeeper.ts): its bounded requests and session. */
export interface ZooKeeperSession {
  readonly root: string;
  readonly logger: Logger;
  call<T>(fn: (c: Client, cb: (e: ZkError | null, v: T) => void) => void, what: string): Promise<T>;
  /** Calls `fn` with the current client now and with each one that replaces an expired session. */
  watchClient(fn: (c: Client) => void): void;
}

/**
 * The masters sharing one ZooKeeper store:
 *
 *   <root>/masters/m-NNNNNNNNNN   one ephemeral sequential znode per running master ({"address"}); the
 *                                 lowest leads translation, each other watches only the one below it
 *                                 (ZooKeeper's leader-election recipe); a master that dies loses its
 *                                 znode when its session times out, and the next one leads
 *   <root>/status/ADDR#N          part N of the node status master ADDR publishes (fleet-status.ts):
 *                                 persistent, so the nodes of a master that died stay known (and turn
 *                                 LOST) instead of vanishing; rewritten once per heartbeat period;
 *                                 the leader removes that of a master stopped for an hour
 *
 * A disconnected master stops leading until it is connected again (it cannot know whether its session
 * survived); an expired session enters the election again with the store's new client.
 */
export class ZooKeeperMasters implements MasterGroup {
  readonly published = new PublishedStatus();
  private readonly electionDir: string;
  private readonly statusDir: string;
  /** This master's part names start with it: its address, made safe for a znode name. */
  private readonly prefix: string;
  private leading = false;
  /** This master's candidate znode in the current session. */
  private mine: string | undefined;
  /** Bumped with each session: watches and retries of an older one do nothing. */
  private session = 0;
  private client: Client | undefined;
  private readonly watched = new Set<string>();
  private partsWritten = 0;
  /** What the parts hold now: a part that would not change (an idle master's empty list) is not written. */
  private written: Buffer[] = [];
  private publishing = false;
  private failing = false;
  private timer: NodeJS.Timeout | undefined;
  private lastTidy = 0;
  private snapshot: () => CompactStatus[] = () => [];
  private tick: () => void = () => undefined;
  private closed = false;

  constructor(
    private readonly zk: ZooKeeperSession,
    private readonly self: MasterSelf,
  ) {
    this.electionDir = `${zk.root}/masters`;
    this.statusDir = `${zk.root}/status`;
    this.prefix = `${encodeURIComponent(self.address)}#`;
  }

  leads(): boolean {
    return this.leading;
  }

  start(snapshot: () => CompactStatus[], tick: () => void): void {
    this.snapshot = snapshot;
    this.tick = tick;
    this.zk.watchClient((c) => {
      const session = ++this.session;
      this.client = c;
      this.watched.clear();
      c.on('disconnected', () => {
        if (c === this.client) this.setLeading(false, 'disconnected from ZooKeeper');
      });
      c.on('connected', () => {
        if (c === this.client) void this.check(session);
      });
      void this.enter(session);
      void this.watchStatus(session);
    });
    this.timer = setInterval(() => {
      void this.publish().then(() => {
        this.tick();
        return this.tidy();
      });
    }, this.self.periodMs);
    this.timer.unref();
  }

  private setLeading(leads: boolean, why: string): void {
    if (leads === this.leading) return;
    this.leading = leads;
    this.zk.logger.info(
      leads
        ? `master ${this.self.address} leads translation (${why})`
        : `master ${this.self.address} no longer leads translation (${why})`,
    );
    if (leads) this.tick();
  }

  private warn(what: string, e: unknown): void {
    if (!this.closed) this.zk.logger.warn(`${what}: ${asSluiceError(e).oneLine()}`);
  }

  /** Runs `fn` again after a period unless the session changed or the group closed. */
  private later(session: number, fn: () => Promise<void>): void {
    setTimeout(() => {
      if (!this.closed && session === this.session) void fn();
    }, this.self.periodMs).unref();
  }

  // --- the election ---------------------------------------------------------------------------

  private async enter(session: number): Promise<void> {
    if (this.closed || session !== this.session) return;
    this.setLeading(false, 'entering the election');
    try {
      await this.zk.call<string>((c, cb) => c.mkdirp(this.electionDir, cb), 'creating the election');
      const path = await this.zk.call<string>(
        (c, cb) =>
          c.create(
            `${this.electionDir}/${CANDIDATE_PREFIX}`,
            Buffer.from(JSON.stringify({ address: this.self.address })),
            CreateMode.EPHEMERAL_SEQUENTIAL,
            cb,
          ),
        'entering the election',
      );
      this.mine = path.slice(path.lastIndexOf('/') + 1);
      await this.check(session);
    } catch (e) {
      this.warn('entering the masters election', e);
      this.later(session, () => this.enter(session));
    }
  }

  /** One step of the recipe: lead, or watch the predecessor and take the next step when it goes. */
  private async check(session: number): Promise<void> {
    const mine = this.mine;
    if (this.closed || session !== this.session || mine === undefined) return;
    try {
      const children = await this.zk.call<string[]>(
        (c, cb) => c.getChildren(this.electionDir, cb),
        'listing the masters',
      );
      if (session !== this.session) return;
      const s = standing(children, mine);
      if ('gone' in s) return void (await this.enter(session));
      if (s.leads) return this.setLeading(true, `lowest of ${children.length} master(s)`);
      this.setLeading(false, `${s.predecessor} is before it`);
      const stat = await this.zk.call<zookeeper.Stat | null>(
        (c, cb) =>
          c.exists(
            `${this.electionDir}/${s.predecessor}`,
            () => void this.check(session),
            (e, st) => cb(e, st ?? null),
          ),
        'watching the master before this one',
      );
      // It left between the listing and the watch: the next step now.
      if (stat === null) await this.check(session);
    } catch (e) {
      this.warn('the masters election', e);
      this.later(session, () => this.check(session));
    }
  }

  async masters(localNodes: number): Promise<MasterInfo[]> {
    const order = electionOrder(
      await this.zk.call<string[]>((c, cb) => c.getChildren(this.electionDir, cb), 'listing the masters'),
    );
    const out: MasterInfo[] = [];
    for (const name of order) {
      let address: string;
      try {
        const buf = await this.zk.call<Buffer>(
          (c, cb) => c.getData(`${this.electionDir}/${name}`, cb),
          'reading a master',
        );
        address = String((JSON.parse(buf.toString('utf8')) as { address?: unknown }).address);
      } catch (e) {
        if (codeOf(e) === Exception.NO_NODE) continue; // it left meanwhile
        throw e;
      }
      const self = name === this.mine;
      const prefix = `${encodeURIComponent(address)}#`;
      out.push({
        address,
        leads: out.length === 0,
        self,
        nodes: self ? localNodes : this.published.count((s) => s.startsWith(prefix)),
      });
    }
    return out;
  }

  // --- node status ----------------------------------------------------------------------------

  /**
   * Writes this master's node status, in parts that fit a znode. One publication at a time: a slow
   * ZooKeeper makes the master skip periods rather than pile writes up.
   */
  private async publish(): Promise<void> {
    if (this.publishing || this.closed || this.client === undefined) return;
    this.publishing = true;
    try {
      const parts = await encodeStatus(this.snapshot());
      for (const [i, buf] of parts.entries()) {
        if (this.written[i]?.equals(buf)) continue;
        await this.writePart(`${this.prefix}${i}`, buf);
        this.written[i] = buf;
      }
      for (let i = parts.length; i < this.partsWritten; i++)
        await this.zk
          .call<void>(
            (c, cb) => c.remove(`${this.statusDir}/${this.prefix}${i}`, -1, (e) => cb(e)),
            'trimming',
          )
          .catch((e) => {
            if (codeOf(e) !== Exception.NO_NODE) throw e;
          });
      this.partsWritten = parts.length;
      this.written.length = parts.length;
      if (this.failing) this.zk.logger.info(`master ${this.self.address} publishes its node status again`);
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.warn('publishing the node status (tried again every period)', e);
      this.failing = true;
    } finally {
      this.publishing = false;
    }
  }

  /** The leader, once a minute: removes the status of masters stopped for good (FORGET_STOPPED_MASTER_MS). */
  private async tidy(): Promise<void> {
    const now = Date.now();
    const forget = this.self.forgetStoppedMs ?? FORGET_STOPPED_MASTER_MS;
    if (!this.leading || now - this.lastTidy < Math.min(60_000, forget / 2)) return;
    this.lastTidy = now;
    try {
      const running = new Set((await this.masters(0)).map((m) => `${encodeURIComponent(m.address)}#`));
      for (const source of this.published.sourceNames()) {
        const prefix = source.slice(0, source.lastIndexOf('#') + 1);
        const age = now - this.published.newest(source);
        if (running.has(prefix) || age < forget) continue;
        this.zk.logger.info(
          `forgetting the node status of master ${decodeURIComponent(prefix.slice(0, -1))}, stopped for ${describeAge(age)}`,
        );
        await this.zk
          .call<void>(
            (c, cb) => c.remove(`${this.statusDir}/${source}`, -1, (e) => cb(e)),
            'forgetting a stopped master',
          )
          .catch(() => undefined);
      }
    } catch (e) {
      this.warn('tidying the published node status', e);
    }
  }

  private async writePart(name: string, buf: Buffer): Promise<void> {
    const path = `${this.statusDir}/${name}`;
    try {
      await this.zk.call((c, cb) => c.setData(path, buf, -1, cb), 'publishing the node status');
    } catch (e) {
      if (codeOf(e) !== Exception.NO_NODE) throw e;
      await this.zk.call<string>(
        (c, cb) => c.mkdirp(path, buf, CreateMode.PERSISTENT, cb),
        'publishing the node status',
      );
    }
  }

  /** Watches the list of published parts; each other master's part is read and watched. */
  private async watchStatus(session: number): Promise<void> {
    if (this.closed || session !== this.session) return;
    try {
      await this.zk.call<string>((c, cb) => c.mkdirp(this.statusDir, cb), 'creating the status');
      const names = await this.zk.call<string[]>(
        (c, cb) => c.getChildren(this.statusDir, () => void this.watchStatus(session), cb),
        'listing the published status',
      );
      if (session !== this.session) return;
      const present = new Set(names);
      for (const n of names) {
        if (n.startsWith(this.prefix)) {
          // Parts left by an earlier run of this master: trimmed by the next publication.
          this.partsWritten = Math.max(this.partsWritten, Number(n.slice(this.prefix.length)) + 1 || 0);
        } else if (!this.watched.has(n)) {
          this.watched.add(n);
          void this.readPart(n, session);
        }
      }
      for (const s of this.published.sourceNames()) if (!present.has(s)) this.forget(s);
    } catch (e) {
      this.warn('watching the published node status', e);
      this.later(session, () => this.watchStatus(session));
    }
  }

  private forget(name: string): void {
    this.watched.delete(name);
    this.published.delete(name);
  }

  private async readPart(name: string, session: number): Promise<void> {
    if (this.closed || session !== this.session) return;
    const path = `${this.statusDir}/${name}`;
    try {
      const buf = await this.zk.call<Buffer>(
        (c, cb) =>
          c.getData(
            path,
            (ev) => {
              if (ev.getType() === Event.NODE_DELETED) this.forget(name);
              else void this.readPart(name, session);
            },
            cb,
          ),
        'reading the published status',
      );
      if (session !== this.session) return;
      this.published.set(name, decodeStatus(buf, path));
      this.tick();
    } catch (e) {
      if (codeOf(e) === Exception.NO_NODE) return this.forget(name);
      this.warn(`reading ${path}`, e);
      this.later(session, () => this.readPart(name, session));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.leading = false;
  }
}
