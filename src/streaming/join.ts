import type { Pair } from './dstream.js';

/**
 * Joins of two batches of the same time by key (keys compared as Map keys), in the order keys first
 * appear (the left batch first).
 */

function groups<K, V>(records: readonly Pair<K, V>[]): Map<K, V[]> {
  const out = new Map<K, V[]>();
  for (let i = 0; i < records.length; i++) {
    const [k, v] = records[i]!;
    const g = out.get(k);
    if (g === undefined) out.set(k, [v]);
    else g.push(v);
  }
  return out;
}

export function cogroupBatches<K, V, W>(
  a: readonly Pair<K, V>[],
  b: readonly Pair<K, W>[],
): [K, [V[], W[]]][] {
  const left = groups(a);
  const right = groups(b);
  const out: [K, [V[], W[]]][] = [];
  for (const [k, vs] of left) out.push([k, [vs, right.get(k) ?? []]]);
  for (const [k, ws] of right) if (!left.has(k)) out.push([k, [[], ws]]);
  return out;
}

export function joinBatches<K, V, W>(a: readonly Pair<K, V>[], b: readonly Pair<K, W>[]): [K, [V, W]][] {
  const right = groups(b);
  const out: [K, [V, W]][] = [];
  for (let i = 0; i < a.length; i++) {
    const [k, v] = a[i]!;
    const ws = right.get(k);
    if (ws !== undefined) for (const w of ws) out.push([k, [v, w]]);
  }
  return out;
}

export function leftOuterJoinBatches<K, V, W>(
  a: readonly Pair<K, V>[],
  b: readonly Pair<K, W>[],
): [K, [V, W | undefined]][] {
  const right = groups(b);
  const out: [K, [V, W | undefined]][] = [];
  for (let i = 0; i < a.length; i++) {
    const [k, v] = a[i]!;
    const ws = right.get(k);
    if (ws === undefined) out.push([k, [v, undefined]]);
    else for (const w of ws) out.push([k, [v, w]]);
  }
  return out;
}

export function fullOuterJoinBatches<K, V, W>(
  a: readonly Pair<K, V>[],
  b: readonly Pair<K, W>[],
): [K, [V | undefined, W | undefined]][] {
  const out: [K, [V | undefined, W | undefined]][] = leftOuterJoinBatches(a, b);
  const left = new Set<K>();
  for (let i = 0; i < a.length; i++) left.add(a[i]![0]);
  for (let i = 0; i < b.length; i++) {
    const [k, w] = b[i]!;
    if (!left.has(k)) out.push([k, [undefined, w]]);
  }
  return out;
}
