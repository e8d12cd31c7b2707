// The import rule of docs/architecture.md: layers only import downward. A violation names the file,
// the import and the rule, so the fix is obvious.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/** Layer of each top-level folder of src/; a module may import its own layer or lower ones. */
const LAYER: Record<string, number> = {
  core: 0,
  spec: 0.5,
  catalog: 1,
  rpc: 1.5,
  storage: 1.5,
  formats: 1.5,
  // Component options (TLS, transport, connection limits) bind wire settings: above rpc, below components.
  components: 1.75,
  // The reliability modes' parts (agent log, ack groups, write-ahead decorators, ack wire): above rpc and
  // storage, below the sources and sinks that put them on the collector's port and in the agent sinks.
  reliability: 1.8,
  sources: 2,
  sinks: 2,
  decorators: 2,
  channels: 2,
  interceptors: 2,
  agentconf: 2.5,
  flow: 3,
  // The web pages and metrics read only the report shape of flow/; node, master and cli serve them.
  web: 3.5,
  streaming: 4,
  node: 4,
  master: 4,
  cli: 5,
  'index.ts': 6,
};
function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const src = resolve('src');
const top = (file: string) => relative(src, file).split('/')[0]!;

// Tests may reach across layers (a sink test reading with a source); production code may not.
test('every import in src/ goes to the same or a lower layer', () => {
  const violations: string[] = [];
  for (const file of walk(src, []).filter((f) => !f.endsWith('.test.ts'))) {
    const from = top(file);
    assert.ok(
      from in LAYER,
      `src/${from} has no layer in test/layering.test.ts (add it, and to docs/architecture.md)`,
    );
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      const target = resolve(file, '..', m[1]!);
      if (!target.startsWith(src)) continue;
      const to = top(target);
      if (to === from) continue;
      const bad = LAYER[to]! > LAYER[from]! || LAYER[to] === LAYER[from];
      if (bad) violations.push(`${relative('.', file)} imports ${m[1]} (${from} -> ${to})`);
    }
  }
  assert.deepEqual(violations, []);
});
