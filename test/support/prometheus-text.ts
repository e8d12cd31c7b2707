import assert from 'node:assert/strict';

/**
 * Reads an exposition the way a scraper does: every sample line is `name{labels} value`, every family
 * is announced by HELP and TYPE before its samples and never comes back after another family.
 */
export function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Map<string, string>();
  const finished = new Set<string>();
  let current = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') typed.set(meta[2]!, meta[3]!);
      if (current !== meta[2]) {
        assert.ok(!finished.has(meta[2]!), `family ${meta[2]} appears twice`);
        if (current) finished.add(current);
        current = meta[2]!;
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/.exec(
      line,
    );
    assert.ok(m, `not a sample line: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(m[1]!) || typed.get(family) === 'histogram', `sample ${m[1]} has no TYPE`);
    samples.set(`${m[1]}${m[2] ?? ''}`, m[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[3]));
  }
  return samples;
}
