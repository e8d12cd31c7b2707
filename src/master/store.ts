import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ioError, SluiceError } from '../core/errors.js';
import { atomicWriteAsync } from './atomic.js';
import type { MasterGroup, MasterSelf } from './leader.js';
import type { CommandRecord } from './master.js';
import type { TranslationState } from './translate.js';

/** What the master must not lose: every logical node's configuration and the mappings. */
export interface MasterData {
  /** The next configuration version to hand out: versions only grow, across restarts too. */
  nextVersion: number;
  configs: Record<string, LogicalConfig>;
  /** Physical node -> its logical nodes. An empty list is kept: the node's default was unmapped. */
  mappings: Record<string, string[]>;
  /** Logical nodes decommissioned, reported DECOMMISSIONED until configured again. */
  decommissioned: string[];
  /** Earlier configurations of each logical node, oldest first (the last PAST_LIMIT), for rollback. */
  past: Record<string, LogicalConfig[]>;
  /** Flows, assigned ports, node addresses and the translated specs handed out (translate.ts). */
  translation?: TranslationState;
  /** Ack group tags collectors acknowledged -> when (ms); bounded, oldest first (acks.ts). */
  acks?: Record<string, number>;
}

export const PAST_LIMIT = 20;

export interface LogicalConfig {
  name: string;
  source: string;
  sink: string;
  version: number;
  /** First 16 hex digits of the SHA-256 of the node's printed spec: the same text, the same hash. */
  hash: string;
  /** When the configuration was set (ms since the epoch). */
  time: number;
}

export function emptyData(): MasterData {
  return { nextVersion: 1, configs: {}, mappings: {}, decommissioned: [], past: {} };
}

/** Checks the shape of a stored state (`where` names the file or znode it came from). */
export function checkedData(data: MasterData, where: string): MasterData {
  if (
    data === null ||
    typeof data !== 'object' ||
    typeof data.nextVersion !== 'number' ||
    typeof data.configs !== 'object' ||
    data.configs === null
  )
    throw new SluiceError('SLUICE_STORAGE', `${where} is not a master state file`);
  return { ...emptyData(), ...data };
}

/**
 * The master's command history: ids, states and messages. A shared store keeps it where every master
 * reads it, so a command submitted to one master can be followed through another; ids are unique
 * across the masters sharing it.
 */
export interface CommandLog {
  /** Records a new PENDING command and resolves with its id. */
  append(rec: CommandRecord): Promise<number>;
  /** Records the command's new state and message. */
  update(rec: CommandRecord): Promise<void>;
  get(id: number): Promise<CommandRecord | undefined>;
  /** The last `n` commands, oldest first. */
  recent(n: number): Promise<CommandRecord[]>;
}

/** Another master saved the state since this one loaded it: reload, run the change again, save. */
export class StoreConflict extends SluiceError {
  constructor(where: string) {
    super('SLUICE_STORAGE', `${where}: another master changed the state meanwhile`, { retriable: true });
  }
}

/**
 * Where the master keeps MasterData and its command history. `save` resolves once the state is durable
 * (for the file store: on disk; for ZooKeeper: acknowledged by a quorum), and the master answers a
 * command only after that, so an acknowledged command survives a crash. `save` reads `data` before it
 * returns (it serialises it at once): the master goes on changing its state while the save is in
 * flight, and those changes go in the next save (group commit).
 */
export interface ConfigStore {
  readonly description: string;
  /**
   * True when other masters share the state: the master loads it before each change, and `save`
   * rejects with StoreConflict when another master saved since that load.
   */
  readonly shared: boolean;
  readonly history: CommandLog;
  load(): Promise<MasterData>;
  save(data: MasterData): Promise<void>;
  /** Calls `changed` whenever another master changed the state (shared stores only). */
  onChange?(changed: () => void): void;
  /**
   * Joins this master to the others sharing the store (leader.ts): who leads translation, and the
   * node status each publishes. A store without it has one master, which leads.
   */
  masters?(self: MasterSelf): MasterGroup;
  close(): Promise<void>;
}

/** A command history in this process only, the last `limit` commands. */
export class LocalCommandLog implements CommandLog {
  private readonly records: CommandRecord[] = [];
  private nextId = 1;
  constructor(private readonly limit = 10_000) {}

  async append(rec: CommandRecord): Promise<number> {
    this.records.push(rec);
    if (this.records.length > this.limit) this.records.splice(0, this.records.length - this.limit);
    return this.nextId++;
  }
  async update(): Promise<void> {}
  async get(id: number): Promise<CommandRecord | undefined> {
    // Ids are consecutive, so the record's place follows from the id of the last one.
    const i = id - (this.nextId - this.records.length);
    return Number.isInteger(i) && i >= 0 ? this.records[i] : undefined;
  }
  async recent(n: number): Promise<CommandRecord[]> {
    return this.records.slice(-n);
  }
}

/** Keeps the state in this process only: lost when the master stops. */
export class MemoryStore implements ConfigStore {
  readonly description = 'memory (lost when the master stops)';
  readonly shared = false;
  readonly history: CommandLog;
  /** The state as JSON: what a durable store would keep (and cheaper to make than a deep copy). */
  private text = JSON.stringify(emptyData());
  constructor(historyLimit?: number) {
    this.history = new LocalCommandLog(historyLimit);
  }
  async load(): Promise<MasterData> {
    return JSON.parse(this.text) as MasterData;
  }
  async save(data: MasterData): Promise<void> {
    this.text = JSON.stringify(data);
  }
  async close(): Promise<void> {}
}

/**
 * The embedded durable store: one JSON file, replaced atomically (`atomicWriteAsync`), so a crash
 * leaves either the old state or the new one, never half a file. The write runs off the event loop;
 * saves run one after the other, each with the state as it was when it was asked for.
 */
export class FileStore implements ConfigStore {
  readonly file: string;
  readonly description: string;
  readonly shared = false;
  /** The history is not kept on disk: a restarted master starts a new one. */
  readonly history: CommandLog;
  private writing: Promise<void> = Promise.resolve();

  constructor(dir: string, historyLimit?: number) {
    this.history = new LocalCommandLog(historyLimit);
    this.file = join(dir, 'master-state.json');
    this.description = `embedded (${this.file})`;
  }

  async load(): Promise<MasterData> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyData();
      throw ioError(e, `reading ${this.file}`);
    }
    let data: MasterData;
    try {
      data = JSON.parse(text) as MasterData;
    } catch (e) {
      throw new SluiceError(
        'SLUICE_STORAGE',
        `${this.file} is not a master state file: ${(e as Error).message}`,
      );
    }
    return checkedData(data, this.file);
  }

  save(data: MasterData): Promise<void> {
    const text = JSON.stringify(data);
    const write = async () => {
      try {
        await mkdir(dirname(this.file), { recursive: true });
      } catch (e) {
        throw ioError(e, `creating ${dirname(this.file)}`);
      }
      await atomicWriteAsync(this.file, text);
    };
    const done = this.writing.then(write);
    this.writing = done.catch(() => undefined);
    return done;
  }

  async close(): Promise<void> {}
}
