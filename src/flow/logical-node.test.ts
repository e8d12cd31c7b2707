import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackpressureSink, CollectingSink, FailingSink } from '../../test/mocks/sinks.js';
import { CountingSource, EndlessSource, FailingSource } from '../../test/mocks/sources.js';
import { memoryLogger } from '../core/logger.js';
import type { EventSink, EventSource } from '../core/pipeline.js';
import type { CompiledNode } from './compile.js';
import { LogicalNode } from './logical-node.js';
import { NodeManager } from './node-manager.js';

const pos = { line: 1, column: 1, offset: 0 };
function compiled(name: string, source: EventSource, sink: EventSink): CompiledNode {
  const call = { name: 'x', args: [], kwargs: [], parens: false, pos };
  return {
    name,
    spec: { name, source: call, sink: { type: 'call', call, pos }, pos },
    makeSource: () => source,
    makeSink: () => sink,
  };
}

test('a finite source drains into the sink, the sink is closed and the node is IDLE', async () => {
  const sink = new CollectingSink();
  const node = new LogicalNode(compiled('n', new CountingSource(95, 10), sink), memoryLogger());
  await node.start();
  assert.equal(node.state, 'IDLE');
  assert.equal(sink.count, 95);
  assert.deepEqual(sink.bodies().slice(0, 3), ['0', '1', '2']);
  assert.deepEqual([sink.opens, sink.closes], [1, 1]);
  assert.deepEqual(node.report(), { name: 'n', state: 'IDLE', events: 95, batches: 10 });
});

test('the node pulls the next batch only after the sink accepted the last (backpressure)', async () => {
  const sink = new BackpressureSink();
  const node = new LogicalNode(compiled('n', new CountingSource(30, 10), sink), memoryLogger());
  const done = node.start();
  await sink.whenHeld();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(node.events, 10, 'pulled more than one batch while the sink was busy');
  assert.equal(sink.overlappingAppends, 0);
  for (let i = 0; i < 3; i++) {
    await sink.whenHeld();
    sink.release();
  }
  await done;
  assert.equal(sink.count, 30);
});

test('a failing sink puts the node in ERROR with the message, and closes the source', async () => {
  const source = new CountingSource(100, 10);
  const node = new LogicalNode(compiled('n', source, new FailingSink({ failAppends: 5 })), memoryLogger());
  await node.start();
  assert.equal(node.state, 'ERROR');
  assert.match(node.report().error!, /append failure 1/);
  assert.equal(source.closed, true);
});

test('stop closes an endless source and flushes the sink', async () => {
  const sink = new CollectingSink();
  const node = new LogicalNode(compiled('n', new EndlessSource(), sink), memoryLogger());
  const done = node.start();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(node.state, 'ACTIVE');
  await node.stop();
  await done;
  assert.equal(node.state, 'IDLE');
  assert.equal(sink.closes, 1);
});

test('one failing node never stops the others in the same process', async () => {
  const manager = new NodeManager(memoryLogger());
  const good = new CollectingSink({ async: true });
  await manager.replace(compiled('bad', new FailingSource(2), new CollectingSink()));
  await manager.replace(compiled('good', new CountingSource(1000, 7), good));
  await manager.settled();
  const states = Object.fromEntries(manager.reports().map((r) => [r.name, r.state]));
  assert.deepEqual(states, { bad: 'ERROR', good: 'IDLE' });
  assert.equal(good.count, 1000);
});
