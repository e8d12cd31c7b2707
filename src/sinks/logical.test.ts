import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SiteConfig } from '../core/config.js';
import { SluiceError } from '../core/errors.js';
import { memoryLogger } from '../core/logger.js';
import { builtinCatalog } from '../flow/builtins.js';
import { compileSpec } from '../flow/compile.js';
import { LogicalNode } from '../flow/logical-node.js';
import { parseSpec } from '../spec/parser.js';

const logger = memoryLogger();
const compile = (text: string) =>
  compileSpec(parseSpec(text), {
    catalog: builtinCatalog(),
    context: { config: SiteConfig.defaults(), nodeName: 'n', allowExec: false, logger },
  })[0]!;

test('a fail sink keeps its node CONFIGURING with its message, reading nothing, until it is stopped', async () => {
  const node = new LogicalNode(
    compile('n : asciisynth(5, 10) | fail("no collectors in flow foo") ;'),
    logger,
  );
  const done = node.start();
  const deadline = Date.now() + 30_000;
  while (!logger.lines.some((l) => l.includes('no collectors in flow foo')) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(logger.lines.some((l) => l.includes('no collectors in flow foo')));
  assert.equal(node.state, 'CONFIGURING');
  assert.equal(node.totals().events, 0);
  await node.stop();
  await done;
});

test('the master-translated components refuse to run without a master, saying so', () => {
  for (const [text, name] of [
    ['n : null | logicalSink("c") ;', 'logicalSink'],
    ['n : null | autoBEChain ;', 'autoBEChain'],
    ['n : logicalSource | null ;', 'logicalSource'],
  ] as const) {
    const c = compile(text);
    assert.throws(
      () => (name === 'logicalSource' ? c.makeSource() : c.makeSink()),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === 'SLUICE_CONFIG' &&
        e.message.startsWith(`${name} is translated by the master`),
    );
  }
});
