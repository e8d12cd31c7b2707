/**
 * A deep copy of a spec tree without its `pos` fields: two trees are "the same" modulo positions when
 * their stripped copies are deeply equal (printer round trips, reload diffs that ignore formatting).
 */
export function stripPositions<T>(tree: T): T {
  return strip(tree) as T;
}

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (k !== 'pos') out[k] = strip(x);
  return out;
}
