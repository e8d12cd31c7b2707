import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { waitFor } from '../../test/support/wait.js';
import { freePort } from '../core/ports.js';
import { parseSpec } from '../spec/parser.js';
import { builtinCatalog } from './builtins.js';
import { compileSpec } from './compile.js';
import { LogicalNode } from './logical-node.js';

test('the report shows what a best-effort sink dropped while it runs, and the summary at the end', async () => {
  const dead = await freePort();
  const ctx = testContext({ nodeName: 'agent' });
  const [compiled] = compileSpec(
    parseSpec(`agent : asciisynth(500, 20) | agentBESink("127.0.0.1", ${dead}, connectTimeout=200) ;`),
    { catalog: builtinCatalog(), context: ctx },
  );
  const node = new LogicalNode(compiled!, ctx.logger);
  const done = node.start();
  const sink = () => node.report().components.find((c) => c.kind === 'sink');
  await waitFor(() => (sink()?.dropped ?? 0) > 0, 'drops in the live report');
  await done;
  assert.equal(node.state, 'IDLE');
  assert.equal(sink()?.dropped, 500, 'every event dropped and counted: no collector listens');
  assert.ok(
    ctx.logger.lines.some((l) => /agentBESink: 0 delivered, 500 dropped/.test(l)),
    ctx.logger.lines.join('\n'),
  );
});

test('a sink that does not count its own drops has no dropped figure', async () => {
  const ctx = testContext({ nodeName: 'n' });
  const [compiled] = compileSpec(parseSpec('n : asciisynth(10, 5) | null ;'), {
    catalog: builtinCatalog(),
    context: ctx,
  });
  const node = new LogicalNode(compiled!, ctx.logger);
  await node.start();
  assert.equal(node.report().components.find((c) => c.kind === 'sink')?.dropped, undefined);
});
