import { type CompactStatus, PublishedStatus } from './fleet-status.js';

/**
 * The masters sharing one store. One of them leads translation: only the leader decides from the
 * fleet (a collector that missed its heartbeats leaves the auto chains, one that returns comes back)
 * and saves that decision with the translations; the others serve the translations stored. The
 * memory and embedded stores have one master, which always leads.
 */

/** One master as `GET /masters` shows it. */
export interface MasterInfo {
  /** Its admin address (where a shell reaches it). */
  address: string;
  leads: boolean;
  /** True for the master that answers. */
  self: boolean;
  /** Logical nodes heartbeating to it (for others: as last published). */
  nodes: number;
}

export interface MasterGroup {
  /** True while this master leads translation. */
  leads(): boolean;
  /** Every master of the group, the leader first. */
  masters(localNodes: number): Promise<MasterInfo[]>;
  /** What the other masters published of their nodes, merged (fleet-status.ts). */
  readonly published: PublishedStatus;
  /**
   * Starts the group's clock: every period `snapshot()` is published for the other masters, and
   * `tick()` runs (also when this master starts leading, or another master's status changed) so the
   * leader decides from the fleet even when no node heartbeats to it.
   */
  start(snapshot: () => CompactStatus[], tick: () => void): void;
  close(): Promise<void>;
}

/** What a shared store needs to join a master to its group. */
export interface MasterSelf {
  /** The admin address other masters and `GET /masters` show. */
  address: string;
  /** How often its node status is published: the nodes' heartbeat period. */
  periodMs: number;
  /** How old the newest status of a stopped master gets before the leader removes it (default an hour). */
  forgetStoppedMs?: number;
}

/** The group of a store only one master uses: it leads, and no one else publishes anything. */
export class SoleMaster implements MasterGroup {
  readonly published = new PublishedStatus();
  constructor(private readonly address: string) {}
  leads(): boolean {
    return true;
  }
  async masters(localNodes: number): Promise<MasterInfo[]> {
    return [{ address: this.address, leads: true, self: true, nodes: localNodes }];
  }
  start(): void {}
  async close(): Promise<void> {}
}

/** Election znodes are `m-` and ZooKeeper's ten-digit sequence number. */
export const CANDIDATE_PREFIX = 'm-';

const sequenceOf = (name: string): number => Number(name.slice(name.lastIndexOf('-') + 1));

/** The candidates in election order (lowest sequence number first). */
export function electionOrder(children: readonly string[]): string[] {
  return children.filter((c) => c.startsWith(CANDIDATE_PREFIX)).sort((a, b) => sequenceOf(a) - sequenceOf(b));
}

/**
 * ZooKeeper's leader-election recipe, one step: among the candidates, the lowest leads; any other
 * watches only the one just below it (so a leader's death wakes one master, not the herd).
 * `gone`: this master's candidate is not there any more (its session expired): it must enter again.
 */
export function standing(
  children: readonly string[],
  mine: string,
): { leads: true } | { leads: false; predecessor: string } | { gone: true } {
  const order = electionOrder(children);
  const at = order.indexOf(mine);
  if (at < 0) return { gone: true };
  if (at === 0) return { leads: true };
  return { leads: false, predecessor: order[at - 1]! };
}
