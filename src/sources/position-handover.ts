import type { Handover } from '../catalog/types.js';

/**
 * Where each file was left (fileKey -> offset after the last line handed out), passed on by a source
 * whose node stops for a new version of itself, by node and scope (the paths or directory the source
 * follows), in this process. Bounded: entries no version came for are dropped oldest first.
 */
const passedOn = new Map<string, Map<string, number>>();
const PASSED_ON_KEPT = 4096;

/** The node a file-following source runs in, and what it learns when that node stops (Handover). */
export interface FollowingNode {
  name: string;
  handover?: Handover | undefined;
}

/** The lines one read added to the queue, all from file `key`, and how many were handed out. */
interface ReadMark {
  key: string;
  ends: number[];
  handed: number;
}

/**
 * The positions of a file-following source (tail, multitail, tailDir) that a live reconfiguration
 * passes to the node's next version, so it neither reads the files again from their start (duplicates)
 * nor skips to their end (losses). The source reports every read into its queue (`read`) and the
 * queue's events as they are handed out (`handedOut`); what was read and not handed out is read
 * again by the next version. A read whose offsets do not match its lines disables the handover for
 * this source: the next version then starts as configured.
 */
export class PositionHandover {
  private readonly marks: ReadMark[] = [];
  private readonly at = new Map<string, number>();
  private readonly key: string | undefined;
  private unmarked = false;
  private polled = 0;

  constructor(
    private readonly node: FollowingNode | undefined,
    scope: string,
  ) {
    this.key = node === undefined ? undefined : `${node.name}\0${scope}`;
  }

  /** What the node's previous version passed on (fileKey -> offset), once; undefined when nothing. */
  takePassed(): ReadonlyMap<string, number> | undefined {
    if (this.key === undefined) return undefined;
    const got = passedOn.get(this.key);
    passedOn.delete(this.key);
    return got;
  }

  /** A poll begins: the reads it reports are checked against what it added to the queue. */
  beginPoll(): void {
    this.polled = 0;
  }

  /** `count` lines were added to the queue from file `key` (undefined: unknown), ending at `ends`. */
  read(key: string | undefined, ends: number[], count: number): void {
    if (count === 0 || this.key === undefined) return;
    this.polled += count;
    if (key === undefined || ends.length !== count) this.unmarked = true;
    else this.marks.push({ key, ends, handed: 0 });
  }

  /** A poll ended having added `added` events to the queue in all. */
  endPoll(added: number): void {
    if (added !== this.polled) this.unmarked = true;
  }

  /** The first `n` queued events were handed out. */
  handedOut(n: number): void {
    let left = n;
    while (left > 0 && this.marks.length > 0) {
      const m = this.marks[0]!;
      const take = Math.min(left, m.ends.length - m.handed);
      m.handed += take;
      left -= take;
      this.at.set(m.key, m.ends[m.handed - 1]!);
      if (m.handed === m.ends.length) this.marks.shift();
    }
  }

  /** At close: passes the positions on when the node stops for a new version of itself. */
  close(): void {
    this.marks.length = 0;
    if (this.key === undefined || !this.node?.handover?.replaced || this.unmarked || this.at.size === 0)
      return;
    passedOn.delete(this.key);
    passedOn.set(this.key, new Map(this.at));
    if (passedOn.size > PASSED_ON_KEPT) passedOn.delete(passedOn.keys().next().value!);
  }
}
