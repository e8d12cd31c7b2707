import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, FailingSink, testContext } from '../../test/mocks/sinks.js';
import { waitFor } from '../../test/support/wait.js';
import { Ack } from '../core/ack.js';
import { Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import { freePort } from '../core/ports.js';
import { parseSpec } from '../spec/parser.js';
import { builtinCatalog } from './builtins.js';
import { compileSpec } from './compile.js';
import { CountedSink, SinkTally } from './counted.js';
import { LogicalNode } from './logical-node.js';
import { settleAck } from './settle.js';

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

const batch = (...bodies: string[]) => bodies.map((b) => Event.of(b));

test('a counted sink: delivered and failed events in the totals, the same appends in its report', async () => {
  const tally = new SinkTally();
  const sink = new CountedSink(new FailingSink({ failAppends: 1, async: true }), tally.entry('1:9', 'text'));
  await sink.open();
  await assert.rejects(async () => sink.append(batch('a', 'bb')), /append failure 1/);
  await sink.append(batch('ccc', 'dddd', 'e'));
  await sink.close();
  assert.deepEqual(tally.list(), [{ name: 'text', delivered: 3, dropped: 0, retried: 0, failed: 2 }]);
  const r = tally.meter('1:9')!.report('IDLE');
  assert.deepEqual(
    [r.eventsIn, r.eventsOut, r.bytes, r.batches, r.errors, r.lastError],
    [5, 3, 11, 2, 1, 'append failure 1'],
  );
  assert.equal(
    r.latency.counts.reduce((a, b) => a + b, 0),
    1,
    'one latency count per accepted batch',
  );
});

test('sinks of one name are told apart by their place, in the totals and in the report', async () => {
  const tally = new SinkTally();
  for (const key of ['1:5', '1:20']) {
    const sink = new CountedSink(new CollectingSink(), tally.entry(key, 'null'));
    await sink.open();
    await sink.append(batch(key));
  }
  tally.entry('1:30', 'text');
  assert.deepEqual(
    tally.list().map((t) => [t.name, t.delivered]),
    [
      ['null@1:5', 1],
      ['null@1:20', 1],
      ['text', 0],
    ],
  );
  assert.deepEqual(
    tally.meterList().map(({ name, meter }) => [name, meter.bytes]),
    [
      ['null@1:5', 3],
      ['null@1:20', 4],
      ['text', 0],
    ],
  );
});

test('an ack listener that throws is logged under the runner that settled it, and does not throw', () => {
  const logger = memoryLogger();
  const ack = new Ack(() => {
    throw new Error('position file gone');
  });
  settleAck(ack, undefined, logger, 'source', 'r1');
  assert.ok(ack.isOk);
  assert.deepEqual(logger.lines, [
    'WARN source r1: the source failed on an acknowledgement: position file gone',
  ]);
});
