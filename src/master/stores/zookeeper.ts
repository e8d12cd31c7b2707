import { gunzipSync, gzipSync } from 'node:zlib';
import zookeeper from 'node-zookeeper-client';
import { SluiceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { MasterGroup, MasterSelf } from '../leader.js';
import type { CommandRecord } from '../master.js';
import {
  type CommandLog,
  type ConfigStore,
  checkedData,
  emptyData,
  type MasterData,
  StoreConflict,
} from '../store.js';
import { ZooKeeperMasters } from './zookeeper-masters.js';

export interface ZooKeeperStoreOptions {
  /** `host:port,host:port,...` of the ensemble (flume.master.zk.servers). */
  servers: string;
  /** The znode everything lives under. */
  root?: string;
  /** Milliseconds any one ZooKeeper request (and the first connection) may take. */
  timeoutMs?: number;
  sessionTimeoutMs?: number;
  /** Commands kept in the shared history; older ones are removed. */
  historyLimit?: number;
  logger: Logger;
}

type Client = zookeeper.Client;
type ZkError = Error | zookeeper.Exception;
const { Exception, CreateMode } = zookeeper;

const codeOf = (e: unknown): number | undefined => (e instanceof Exception ? e.getCode() : undefined);
const zkMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Sequential znodes number from 0 with ten digits; command ids from 1. */
const commandZnode = (id: number) => `c-${String(id - 1).padStart(10, '0')}`;

/**
 * The master's state in ZooKeeper, shared by every master given the same ensemble and root:
 *
 *   <root>/state          MasterData as gzipped JSON; saved with the znode version the master loaded
 *                         (compare-and-set), so two masters' changes never overwrite each other
 *   <root>/commands/c-N   one persistent sequential znode per command (its record as JSON): ids are
 *                         unique across masters and any master answers for any command
 *   <root>/masters, <root>/status   the masters' election and their nodes' status (zookeeper-masters.ts)
 *
 * A watch on the state tells this master when another one changed it. Every request is bounded in time;
 * a lost session is replaced by a new one (the watch set again).
 */
export class ZooKeeperStore implements ConfigStore {
  readonly description: string;
  readonly shared = true;
  readonly history: CommandLog;
  private client: Client;
  private version = -1;
  private changed: (() => void) | undefined;
  private closed = false;
  private readonly clientWatchers: ((c: Client) => void)[] = [];
  private group: ZooKeeperMasters | undefined;
  readonly root: string;
  readonly logger: Logger;
  private readonly statePath: string;
  private readonly timeoutMs: number;

  private constructor(
    private readonly opts: ZooKeeperStoreOptions,
    client: Client,
  ) {
    this.client = client;
    client.once('expired', () => this.replaceExpired());
    this.root = opts.root ?? '/sluice/master';
    this.logger = opts.logger;
    this.statePath = `${this.root}/state`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.description = `ZooKeeper ${opts.servers} (${this.root})`;
    this.history = new ZooKeeperCommandLog(this, `${this.root}/commands`, opts.historyLimit ?? 10_000);
  }

  /** Connects to the ensemble (within the timeout) and makes sure the root znodes exist. */
  static async open(opts: ZooKeeperStoreOptions): Promise<ZooKeeperStore> {
    const store = new ZooKeeperStore(opts, await connectClient(opts));
    try {
      await store.call<string>((c, cb) => c.mkdirp(`${store.root}/commands`, cb), 'creating the root');
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }

  /** One ZooKeeper request, rejected after the timeout; its errors become SLUICE_STORAGE. */
  call<T>(fn: (c: Client, cb: (e: ZkError | null, v: T) => void) => void, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new SluiceError(
              'SLUICE_STORAGE',
              `ZooKeeper ${this.opts.servers}: ${what}: no answer within ${this.timeoutMs} ms`,
              { retriable: true },
            ),
          ),
        this.timeoutMs,
      );
      fn(this.client, (e, v) => {
        clearTimeout(timer);
        if (e === null) resolve(v);
        else reject(e);
      });
    });
  }

  storageError(e: unknown, what: string): SluiceError {
    if (e instanceof SluiceError) return e;
    return new SluiceError('SLUICE_STORAGE', `ZooKeeper ${this.opts.servers}: ${what}: ${zkMessage(e)}`, {
      retriable: true,
      cause: e,
    });
  }

  async load(): Promise<MasterData> {
    try {
      const [buf, stat] = await this.call<[Buffer, zookeeper.Stat]>(
        (c, cb) => c.getData(this.statePath, (e, d, s) => cb(e, [d, s])),
        'reading the state',
      );
      this.version = stat.version;
      return checkedData(JSON.parse(gunzipSync(buf).toString('utf8')) as MasterData, this.statePath);
    } catch (e) {
      if (codeOf(e) === Exception.NO_NODE) {
        this.version = -1;
        return emptyData();
      }
      if (e instanceof SyntaxError || (e as NodeJS.ErrnoException).code === 'Z_DATA_ERROR')
        throw new SluiceError('SLUICE_STORAGE', `${this.statePath} is not a master state file`);
      throw this.storageError(e, 'reading the state');
    }
  }

  async save(data: MasterData): Promise<void> {
    const buf = gzipSync(JSON.stringify(data));
    try {
      if (this.version < 0) {
        await this.call((c, cb) => c.create(this.statePath, buf, cb), 'creating the state');
        this.version = 0;
      } else {
        const stat = await this.call<zookeeper.Stat>(
          (c, cb) => c.setData(this.statePath, buf, this.version, cb),
          'saving the state',
        );
        this.version = stat.version;
      }
    } catch (e) {
      const code = codeOf(e);
      if (code === Exception.BAD_VERSION || code === Exception.NODE_EXISTS || code === Exception.NO_NODE)
        throw new StoreConflict(this.description);
      throw this.storageError(e, 'saving the state');
    }
  }

  onChange(changed: () => void): void {
    this.changed = changed;
    this.watch();
  }

  /** Sets a one-shot watch on the state (on its existence, so a first save is seen too). */
  private watch(): void {
    if (this.closed || this.changed === undefined) return;
    this.client.exists(
      this.statePath,
      () => {
        this.changed?.();
        this.watch();
      },
      (e) => {
        if (e !== null && !this.closed)
          this.opts.logger.warn(`ZooKeeper ${this.opts.servers}: watching the state: ${zkMessage(e)}`);
      },
    );
  }

  /** A session the ensemble expired cannot come back: a new one is made and the watch set again. */
  replaceExpired(): void {
    if (this.closed) return;
    this.opts.logger.warn(`ZooKeeper ${this.opts.servers}: session expired; opening a new one`);
    connectClient(this.opts).then(
      (c) => {
        if (this.closed) return void c.close();
        this.client.close();
        this.client = c;
        c.once('expired', () => this.replaceExpired());
        this.changed?.();
        this.watch();
        for (const fn of this.clientWatchers) fn(c);
      },
      (e) => {
        this.opts.logger.error((e as Error).message);
        setTimeout(() => this.replaceExpired(), this.timeoutMs).unref();
      },
    );
  }

  /** Calls `fn` with the client now and with each one that replaces an expired session. */
  watchClient(fn: (c: Client) => void): void {
    this.clientWatchers.push(fn);
    fn(this.client);
  }

  /** This master joins the others sharing the store: the election and the published node status. */
  masters(self: MasterSelf): MasterGroup {
    this.group ??= new ZooKeeperMasters(this, self);
    return this.group;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.group?.close();
    this.client.close();
  }
}

function connectClient(opts: ZooKeeperStoreOptions): Promise<Client> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const client = zookeeper.createClient(opts.servers, {
    sessionTimeout: opts.sessionTimeoutMs ?? 10_000,
    spinDelay: 200,
    retries: 2,
  });
  return new Promise<Client>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(
        new SluiceError(
          'SLUICE_STORAGE',
          `ZooKeeper ${opts.servers} did not answer within ${timeoutMs} ms (flume.master.zk.servers)`,
          { retriable: true },
        ),
      );
    }, timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}

/** The command history as sequential znodes under `dir`. */
class ZooKeeperCommandLog implements CommandLog {
  constructor(
    private readonly store: ZooKeeperStore,
    private readonly dir: string,
    private readonly limit: number,
  ) {}

  async append(rec: CommandRecord): Promise<number> {
    try {
      const path = await this.store.call<string>(
        (c, cb) =>
          c.create(`${this.dir}/c-`, Buffer.from(JSON.stringify(rec)), CreateMode.PERSISTENT_SEQUENTIAL, cb),
        'recording a command',
      );
      const id = Number(path.slice(path.lastIndexOf('-') + 1)) + 1;
      // Trimmed now and then rather than on every command: listing the children is not free.
      if (id % 100 === 0) await this.trim(id);
      return id;
    } catch (e) {
      throw this.store.storageError(e, 'recording a command');
    }
  }

  private async trim(last: number): Promise<void> {
    const old = (await this.names()).filter((name) => Number(name.slice(2)) + 1 <= last - this.limit);
    for (const name of old) {
      await this.store
        .call<void>((c, cb) => c.remove(`${this.dir}/${name}`, -1, (e) => cb(e)), 'forgetting an old command')
        .catch(() => undefined);
    }
  }

  private async names(): Promise<string[]> {
    const names = await this.store.call<string[]>(
      (c, cb) => c.getChildren(this.dir, cb),
      'listing the commands',
    );
    return names.filter((n) => n.startsWith('c-')).sort();
  }

  async update(rec: CommandRecord): Promise<void> {
    try {
      await this.store.call(
        (c, cb) => c.setData(`${this.dir}/${commandZnode(rec.id)}`, Buffer.from(JSON.stringify(rec)), cb),
        'recording a command result',
      );
    } catch (e) {
      throw this.store.storageError(e, 'recording a command result');
    }
  }

  async get(id: number): Promise<CommandRecord | undefined> {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    try {
      const buf = await this.store.call<Buffer>(
        (c, cb) => c.getData(`${this.dir}/${commandZnode(id)}`, cb),
        'reading a command',
      );
      return { ...(JSON.parse(buf.toString('utf8')) as CommandRecord), id };
    } catch (e) {
      if (codeOf(e) === Exception.NO_NODE) return undefined;
      throw this.store.storageError(e, 'reading a command');
    }
  }

  async recent(n: number): Promise<CommandRecord[]> {
    const names = (await this.names()).slice(-n);
    const out: CommandRecord[] = [];
    for (const name of names) {
      const rec = await this.get(Number(name.slice(2)) + 1);
      if (rec !== undefined) out.push(rec);
    }
    return out;
  }
}
