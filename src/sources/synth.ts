import { randomFillSync, randomInt } from 'node:crypto';
import type { BoundArgs, SourceDef } from '../catalog/types.js';
import { noteBodyBytes } from '../core/batch-bytes.js';
import { SluiceError } from '../core/errors.js';
import type { Batch } from '../core/event.js';
import { Event, localHost, nowNanos } from '../core/event.js';
import type { EventSource } from '../core/pipeline.js';
import { Priority } from '../core/priority.js';
import { MAX_BATCH } from './lines.js';

export type SynthKind = 'synth' | 'nonlsynth' | 'asciisynth';

/** Distinct bodies prepared per source; events cycle through them. */
const RING = 16384;
/** Random bytes behind the bodies when they cannot all be disjoint. */
const POOL = 1 << 20;

/**
 * Generates `count` random events of `size` bytes as fast as a pipeline can take them. Bodies are
 * views into a block of random bytes prepared at open (bodies are never mutated, so views can be
 * shared), and each batch gets one timestamp and one nanos base; the hot loop only allocates the
 * Event objects and the batch array.
 */
export class SynthSource implements EventSource {
  private ring: Buffer[] = [];
  private left: number;
  private closed = false;

  constructor(
    readonly count: number,
    readonly size: number,
    readonly kind: SynthKind,
  ) {
    this.left = count;
  }

  open(): Promise<void> {
    const r = Math.max(1, Math.min(this.count, RING));
    const size = this.size;
    const disjoint = r * size <= POOL;
    const pool = randomFillSync(Buffer.allocUnsafe(disjoint ? r * size : POOL + size));
    if (this.kind === 'asciisynth') {
      // 95 printable characters, 0x20 (space) to 0x7e (~); '\n' cannot occur.
      for (let i = 0; i < pool.length; i++) pool[i] = 0x20 + (pool[i]! % 95);
    } else if (this.kind === 'nonlsynth') {
      for (let i = pool.indexOf(0x0a); i >= 0; i = pool.indexOf(0x0a, i + 1)) pool[i] = 0x20;
    }
    const ring: Buffer[] = new Array(r);
    for (let i = 0; i < r; i++) {
      const off = disjoint ? i * size : randomInt(0, POOL + 1);
      ring[i] = pool.subarray(off, off + size);
    }
    this.ring = ring;
    return Promise.resolve();
  }

  next(): Batch | null {
    const n = Math.min(this.left, MAX_BATCH);
    if (n <= 0 || this.closed) return null;
    this.left -= n;
    const ring = this.ring;
    const r = ring.length;
    // A random start per batch keeps long runs from repeating with a fixed period.
    let k = r > 1 ? randomInt(0, r) : 0;
    const ts = Date.now();
    const nanos = nowNanos();
    const host = localHost();
    const batch: Event[] = new Array(n);
    for (let i = 0; i < n; i++) {
      batch[i] = new Event(ring[k]!, ts, Priority.INFO, nanos + i, host);
      if (++k === r) k = 0;
    }
    // Every body is one ring entry of the same size: the meters need not walk the batch.
    noteBodyBytes(batch, n * ring[0]!.length);
    return batch;
  }

  close(): Promise<void> {
    this.closed = true;
    this.ring = [];
    return Promise.resolve();
  }
}

function build(kind: SynthKind, args: BoundArgs): SynthSource {
  const count = args.int('msgCount');
  const size = args.int('msgSize');
  for (const [field, v] of [
    ['msgCount', count],
    ['msgSize', size],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${field} must be a non-negative integer, got ${v}`, {
        place: { component: kind, field },
      });
    }
  }
  return new SynthSource(count, size, kind);
}

const params = [
  { name: 'msgCount', type: 'int', docs: 'How many events to generate; the source is drained after them.' },
  {
    name: 'msgSize',
    type: 'int',
    docs: 'Body size in bytes (bodies above flume.event.max.size.bytes are truncated like any other).',
  },
] as const satisfies SourceDef['params'];

const HOW =
  'Bodies are cut from a block of random bytes prepared at open and reused across events (up to ' +
  '16384 distinct bodies per source), so the source can feed millions of events per second.';

export const synthSource: SourceDef = {
  kind: 'source',
  name: 'synth',
  docs: `Generates msgCount random messages of msgSize bytes; bodies may hold any byte, '\\n' included. ${HOW}`,
  params: [...params],
  build: (args) => build('synth', args),
};

export const nonlsynthSource: SourceDef = {
  kind: 'source',
  name: 'nonlsynth',
  docs:
    "Like synth, but every '\\n' byte is turned into ' ', so line-oriented sinks and sources see " +
    `uniformly sized records. Other non-printable bytes remain. ${HOW}`,
  params: [...params],
  build: (args) => build('nonlsynth', args),
};

export const asciisynthSource: SourceDef = {
  kind: 'source',
  name: 'asciisynth',
  docs: `Like synth, but bodies hold only printable ASCII (' ' to '~'); no '\\n'. ${HOW}`,
  params: [...params],
  build: (args) => build('asciisynth', args),
};
