import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ioError, SluiceError } from '../core/errors.js';
import { atomicWrite } from './atomic.js';
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

/**
 * Where the master keeps MasterData. `save` resolves once the state is durable (for the file store:
 * on disk), and the master answers a command only after that, so an acknowledged command survives a
 * crash.
 */
export interface ConfigStore {
  readonly description: string;
  load(): MasterData;
  save(data: MasterData): void;
}

/** Keeps the state in this process only: lost when the master stops. */
export class MemoryStore implements ConfigStore {
  readonly description = 'memory (lost when the master stops)';
  private data = emptyData();
  load(): MasterData {
    return structuredClone(this.data);
  }
  save(data: MasterData): void {
    this.data = structuredClone(data);
  }
}

/**
 * The embedded durable store: one JSON file, replaced atomically (`atomicWrite`), so a crash leaves
 * either the old state or the new one, never half a file.
 */
export class FileStore implements ConfigStore {
  readonly file: string;
  readonly description: string;

  constructor(dir: string) {
    this.file = join(dir, 'master-state.json');
    this.description = `embedded (${this.file})`;
  }

  load(): MasterData {
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
    if (typeof data.nextVersion !== 'number' || typeof data.configs !== 'object' || data.configs === null)
      throw new SluiceError('SLUICE_STORAGE', `${this.file} is not a master state file`);
    return { ...emptyData(), ...data };
  }

  save(data: MasterData): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
    } catch (e) {
      throw ioError(e, `creating ${dirname(this.file)}`);
    }
    atomicWrite(this.file, JSON.stringify(data));
  }
}
