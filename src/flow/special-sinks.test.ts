import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, FailingSink, testContext } from '../../test/mocks/sinks.js';
import { waitFor } from '../../test/support/wait.js';
import type { SinkDef } from '../catalog/types.js';
import { Event } from '../core/event.js';
import { parseSpec } from '../spec/parser.js';
import { builtinCatalog } from './builtins.js';
import { compileSpec } from './compile.js';
import { FailoverSink } from './failover.js';
import { FanoutSink } from './fanout.js';
import { RollSink } from './roll.js';
import { SharedSink } from './shared.js';

const batch = (...bodies: string[]) => bodies.map((b) => Event.of(b, { timestamp: 0 }));

test('fanout gives every child every event, each branch its own copies', async () => {
  const a = new CollectingSink();
  const b = new CollectingSink({ async: true });
  const f = new FanoutSink([a, b]);
  await f.open();
  const input = batch('x', 'y');
  await f.append(input);
  a.events[0]!.setAttr('only-a', '1');
  assert.deepEqual(a.bodies(), ['x', 'y']);
  assert.deepEqual(b.bodies(), ['x', 'y']);
  assert.equal(b.events[0]!.hasAttr('only-a'), false, 'a change in one branch leaked into another');
  await f.close();
  assert.equal(a.closes + b.closes, 2);
});

test('fanout tries every child and then reports a failing branch', async () => {
  const bad = new FailingSink({ failAppends: 1 });
  const good = new CollectingSink();
  const f = new FanoutSink([bad, good]);
  await f.open();
  await assert.rejects(async () => f.append(batch('x')), /append failure 1/);
  assert.deepEqual(good.bodies(), ['x']);
});

test('failover sends to the backup while the primary is down and returns after the backoff', async () => {
  let now = 0;
  const primary = new FailingSink({ failAppends: 1 });
  const backup = new CollectingSink();
  const f = new FailoverSink(primary, backup, { initialBackoff: 100, now: () => now });
  await f.open();
  await f.append(batch('1'));
  await f.append(batch('2'));
  assert.deepEqual(
    backup.bodies(),
    ['1', '2'],
    'both batches went to the backup while the primary backs off',
  );
  now = 150;
  await f.append(batch('3'));
  assert.deepEqual(primary.bodies(), ['3'], 'primary retried after its backoff');
  await f.close();
});

test('failover fails only when both sides fail, and opens the backup when the primary cannot open', async () => {
  const primary = new FailingSink({ failOpens: 1 });
  const backup = new FailingSink({ failAppends: 1 });
  const f = new FailoverSink(primary, backup, { initialBackoff: 60_000 });
  await f.open();
  assert.equal(backup.opens, 1);
  await assert.rejects(async () => f.append(batch('x')), /append failure 1/);
  await f.append(batch('y'));
  assert.deepEqual(backup.bodies(), ['y']);
});

test('roll builds a fresh child per period, closes the old one first and tags events', async () => {
  const made: CollectingSink[] = [];
  const r = new RollSink(() => {
    const s = new CollectingSink();
    made.push(s);
    return s;
  }, 60_000);
  await r.open();
  await r.append(batch('a'));
  await r.roll();
  await r.append(batch('b'));
  await r.close();
  assert.equal(made.length, 2);
  assert.deepEqual(
    made.map((s) => [s.bodies(), s.closes]),
    [
      [['a'], 1],
      [['b'], 1],
    ],
  );
  const t1 = made[0]!.events[0]!.getAttrString('rolltag');
  const t2 = made[1]!.events[0]!.getAttrString('rolltag');
  assert.match(t1!, /^\d{8}-\d{9}\.\d+$/);
  assert.notEqual(t1, t2);
});

test('roll rolls on its timer', async () => {
  const made: CollectingSink[] = [];
  const r = new RollSink(() => {
    const s = new CollectingSink();
    made.push(s);
    return s;
  }, 20);
  await r.open();
  await waitFor(
    () => made.length >= 3,
    () => `three roll periods (${made.length} so far)`,
  );
  await r.close();
  assert.ok(made.length >= 3, `expected at least 3 periods, got ${made.length}`);
  assert.ok(made.every((s) => s.closes === 1));
});

test('a let-bound sink opens once and closes after its last user', async () => {
  const inner = new CollectingSink();
  const shared = new SharedSink(inner);
  await shared.open();
  await shared.open();
  await shared.close();
  assert.equal(inner.closes, 0);
  await shared.close();
  assert.deepEqual([inner.opens, inner.closes], [1, 1]);
});

test('a compiled < a ? b > sends to the primary first, and to the backup only when the primary fails', async () => {
  const built = new Map<string, FailingSink>();
  const sinkNamed = (name: string): SinkDef => ({
    kind: 'sink',
    name,
    docs: 'test',
    params: [
      { name: 'failAppends', type: 'int', optional: true, default: 0, docs: 'appends that fail first' },
    ],
    build(args) {
      const s = new FailingSink({ failAppends: args.int('failAppends') });
      built.set(name, s);
      return s;
    },
  });
  const catalog = builtinCatalog().with(sinkNamed('first'), sinkNamed('second'));
  const context = testContext();
  const run = async (spec: string, ...batches: string[][]) => {
    built.clear();
    const [node] = compileSpec(parseSpec(`n : null | ${spec} ;`), { catalog, context });
    const sink = node!.makeSink();
    await sink.open();
    for (const b of batches) await sink.append(batch(...b));
    await sink.close();
    return { first: built.get('first')!.bodies(), second: built.get('second')!.bodies() };
  };
  assert.deepEqual(await run('< first ? second >', ['x'], ['y']), { first: ['x', 'y'], second: [] });
  assert.deepEqual(await run('< second ? first >', ['x']), { first: [], second: ['x'] });
  assert.deepEqual(await run('< first(1) ? second >', ['x']), { first: [], second: ['x'] });
});
