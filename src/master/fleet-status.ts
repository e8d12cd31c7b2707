import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import { SluiceError } from '../core/errors.js';
import type { NodeStatus } from './master.js';

/**
 * Node status across masters. A node heartbeats to one master at a time, so each master knows only
 * its own nodes; sharing a store, each publishes a compact status of them (no reports) once per
 * heartbeat period, and every master merges what the others published with what it heard itself.
 */

/** What a master publishes of one logical node: NodeStatus without the report, plus the period. */
export interface CompactStatus {
  name: string;
  physical: string;
  host: string;
  state: string;
  version: number;
  applied?: 'APPLIED' | 'FAILED' | undefined;
  error?: string | undefined;
  lastSeen: number;
  /** The physical node's heartbeat period: LOST is judged by it wherever the entry is read. */
  periodMs: number;
  /** The process heartbeating as the physical node: another master refuses a second one by it. */
  instance?: string | undefined;
}

/** An error text is cut here in the published status: the full one is on the master the node reports to. */
export const PUBLISHED_ERROR_CHARS = 300;

export function compactStatus(s: NodeStatus, periodMs: number, instance?: string): CompactStatus {
  const c: CompactStatus = {
    name: s.name,
    physical: s.physical,
    host: s.host,
    state: s.state,
    version: s.version,
    lastSeen: s.lastSeen,
    periodMs,
  };
  if (s.applied !== undefined) c.applied = s.applied;
  if (s.error !== undefined) c.error = s.error.slice(0, PUBLISHED_ERROR_CHARS);
  if (instance !== undefined) c.instance = instance;
  return c;
}

/** The merge rule: of two reports of one logical node, the one heard last stands. */
export function newer<T extends { lastSeen: number }>(a: T | undefined, b: T | undefined): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.lastSeen > a.lastSeen ? b : a;
}

/**
 * Whether a node missed its heartbeats. An entry another master published is up to one publishing
 * period older than that master's own view, so it gets one period more before it counts as LOST.
 */
export function isLost(s: CompactStatus, now: number, missed: number, published: boolean): boolean {
  return now - s.lastSeen > (missed + (published ? 1 : 0)) * s.periodMs;
}

/**
 * What the other masters published, merged by logical node (newest lastSeen wins). Each source (one
 * master's document or one part of it) is replaced whole when it changes; the merged view is rebuilt
 * lazily, at most once per change.
 */
export class PublishedStatus {
  private readonly sources = new Map<string, readonly CompactStatus[]>();
  private merged: Map<string, CompactStatus> | undefined;

  set(source: string, entries: readonly CompactStatus[]): void {
    this.sources.set(source, entries);
    this.merged = undefined;
  }

  delete(source: string): void {
    if (this.sources.delete(source)) this.merged = undefined;
  }

  has(source: string): boolean {
    return this.sources.has(source);
  }

  /** The sources held (for dropping those that disappeared). */
  sourceNames(): string[] {
    return [...this.sources.keys()];
  }

  /** How many entries the sources whose name passes `which` hold. */
  count(which: (source: string) => boolean): number {
    let n = 0;
    for (const [source, entries] of this.sources) if (which(source)) n += entries.length;
    return n;
  }

  /** When the newest report a source holds was heard (0: none). */
  newest(source: string): number {
    let t = 0;
    for (const e of this.sources.get(source) ?? []) t = Math.max(t, e.lastSeen);
    return t;
  }

  get(name: string): CompactStatus | undefined {
    return this.view().get(name);
  }

  values(): IterableIterator<CompactStatus> {
    return this.view().values();
  }

  private view(): Map<string, CompactStatus> {
    if (this.merged !== undefined) return this.merged;
    const m = new Map<string, CompactStatus>();
    for (const entries of this.sources.values())
      for (const e of entries) m.set(e.name, newer(m.get(e.name), e)!);
    this.merged = m;
    return m;
  }
}

/**
 * ZooKeeper refuses a znode over jute.maxbuffer (1 MiB by default, the request's framing included): a
 * master's status is written in parts of at most this many gzipped bytes.
 */
export const STATUS_PART_BYTES = 512 * 1024;

const gzipAsync = promisify(gzip);

/**
 * The published document, gzipped JSON, split in halves until every part fits `maxBytes`. One
 * entry is bounded (names of at most 256 characters, the error cut), so a part always fits. Gzip runs
 * off the event loop: a fleet of thousands is a few hundred kilobytes of JSON.
 */
export async function encodeStatus(
  entries: readonly CompactStatus[],
  maxBytes = STATUS_PART_BYTES,
): Promise<Buffer[]> {
  const buf = await gzipAsync(JSON.stringify(entries));
  if (buf.length <= maxBytes || entries.length <= 1) return [buf];
  const half = Math.ceil(entries.length / 2);
  return [
    ...(await encodeStatus(entries.slice(0, half), maxBytes)),
    ...(await encodeStatus(entries.slice(half), maxBytes)),
  ];
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** One published part back into entries; what does not have the shape is refused (`where` names it). */
export function decodeStatus(buf: Buffer, where: string): CompactStatus[] {
  let list: unknown;
  try {
    list = JSON.parse(gunzipSync(buf).toString('utf8'));
  } catch (e) {
    throw new SluiceError(
      'SLUICE_STORAGE',
      `${where} is not a published node status: ${(e as Error).message}`,
    );
  }
  if (!Array.isArray(list)) throw new SluiceError('SLUICE_STORAGE', `${where} is not a list of node status`);
  return list.filter((e: Partial<CompactStatus> | null): e is CompactStatus => {
    if (e === null || typeof e !== 'object') return false;
    return (
      isStr(e.name) &&
      isStr(e.physical) &&
      isStr(e.host) &&
      isStr(e.state) &&
      isNum(e.version) &&
      isNum(e.lastSeen) &&
      isNum(e.periodMs) &&
      e.periodMs > 0
    );
  });
}
