// The README's `roll(1000) { text("/tmp/part-%{rolltag}") }`: text expands %{rolltag}, so every roll
// period has its own file and no period truncates another's.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Event } from '../../src/core/event.js';
import { memoryLogger } from '../../src/core/logger.js';
import { builtinCatalog } from '../../src/flow/builtins.js';
import { compileSpec } from '../../src/flow/compile.js';
import { LogicalNode } from '../../src/flow/logical-node.js';
import { parseSpec } from '../../src/spec/parser.js';
import { testContext } from '../mocks/sinks.js';

const tmp = mkdtempSync(join(tmpdir(), 'sluice-confine-roll-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const compile = (spec: string) =>
  compileSpec(parseSpec(spec, '<test>'), {
    catalog: builtinCatalog(),
    context: testContext({ nodeName: 'node3' }),
  })[0]!;

/** Lines of every completed part file, by file. */
function parts(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of readdirSync(dir).sort()) {
    assert.ok(!f.startsWith('.'), `temporary file left: ${f}`);
    out.set(f, readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
  }
  return out;
}

test("the README's node3 writes every event of asciisynth(1000, 100) to part-<rolltag> files", async () => {
  const dir = join(tmp, 'readme');
  mkdirSync(dir);
  const node = new LogicalNode(
    compile(`node3 : asciisynth(1000, 100) | roll(50) { text("${dir}/part-%{rolltag}") } ;`),
    memoryLogger(),
  );
  await node.start();
  assert.equal(node.state, 'IDLE', node.error?.message);
  const files = parts(dir);
  assert.ok(files.size >= 1);
  assert.ok(![...files.keys()].includes('part-%{rolltag}'), 'the literal name was written');
  for (const f of files.keys()) assert.match(f, /^part-\d{8}-\d{9}\.\d+$/);
  const lines = [...files.values()].flat();
  assert.equal(lines.length, 1000);
  assert.ok(lines.every((l) => l.length === 100));
});

test('one file per roll period, each with exactly the events of its period', async () => {
  const dir = join(tmp, 'periods');
  mkdirSync(dir);
  const sink = compile(`node3 : null | roll(60) { text("${dir}/part-%{rolltag}") } ;`).makeSink();
  await sink.open();
  for (let period = 0; period < 3; period++) {
    await sink.append(Array.from({ length: 100 }, (_, i) => Event.of(`p${period} e${i}`)));
    // The period's file gets its name when the roll closes it.
    for (
      const end = Date.now() + 30_000;
      readdirSync(dir).filter((f) => !f.startsWith('.')).length <= period;
    ) {
      if (Date.now() > end) throw new Error(`no file for period ${period}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  await sink.close();
  const files = [...parts(dir).values()];
  assert.equal(files.length, 3, 'an idle period leaves no empty file');
  files.forEach((lines, period) => {
    assert.equal(lines.length, 100);
    assert.ok(
      lines.every((l) => l.startsWith(`p${period} `)),
      `period ${period} mixed`,
    );
  });
});
