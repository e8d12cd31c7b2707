import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { AckCheckerSink } from './ack-checker.js';
import { ACK_TAG, ACK_TYPE, beginMarker, endMarker, tagMessages } from './ack-group.js';
import { AckInjectorSink } from './ack-injector.js';
import { AckStore } from './ack-store.js';

test('ackInjector -> ackChecker: the sink gets the events alone, and the intact group is acknowledged', async () => {
  const store = new AckStore();
  const out = new CollectingSink();
  const injector = new AckInjectorSink(new AckCheckerSink(out, { store }), 'n1');
  await injector.open();
  await injector.append(makeBatch(3, 'x'));
  await injector.append(makeBatch(2, 'y'));
  await injector.close();
  assert.deepEqual(out.bodies(), ['x0', 'x1', 'x2', 'y0', 'y1']);
  assert.ok(
    out.events.every((e) => !e.hasAttr(ACK_TYPE) && !e.hasAttr(ACK_TAG)),
    'markers and ack attributes removed',
  );
  const [tag] = injector.groups;
  assert.match(tag!, /-n1-\d+-\d+$/);
  assert.deepEqual(store.check([tag!, 'other']), [tag]);
});

test('a group with a changed body, or without its beginning, is not acknowledged', async () => {
  const store = new AckStore();
  const ctx = testContext();
  const out = new CollectingSink();
  const checker = new AckCheckerSink(out, { store, logger: ctx.logger });
  await checker.open();
  const tag = Buffer.from('h-n-1-1');
  const batch = makeBatch(4);
  const sum = tagMessages(batch, tag, 0);
  batch[2]!.body = Buffer.from('tampered');
  await checker.append([beginMarker(tag), ...batch, endMarker(tag, sum)]);
  // The end of a group whose beginning this collector never saw (it restarted in between).
  const late = Buffer.from('h-n-1-2');
  const rest = makeBatch(2, 'r');
  await checker.append([...rest, endMarker(late, tagMessages(rest, late, 0))]);
  await checker.close();
  assert.deepEqual(store.check(['h-n-1-1', 'h-n-1-2']), []);
  assert.equal(out.count, 6, 'the data is written anyway: the agent resends the group');
  assert.match(ctx.logger.lines.join('\n'), /h-n-1-1 checksum mismatch/);
  assert.match(ctx.logger.lines.join('\n'), /h-n-1-2 ended without its beginning/);
});

test('with a roll, groups are acknowledged only once the roll that holds them completed', async () => {
  const store = new AckStore();
  const out = new CollectingSink();
  let rolls = 0;
  const checker = new AckCheckerSink(out, {
    store,
    roll: async () => {
      rolls++;
    },
    rollMillis: 1_000_000,
  });
  await checker.open();
  const tag = Buffer.from('h-n-2-1');
  const batch = makeBatch(2);
  await checker.append([beginMarker(tag), ...batch, endMarker(tag, tagMessages(batch, tag, 0))]);
  assert.deepEqual(store.check(['h-n-2-1']), [], 'accepted is not yet durable');
  await checker.close();
  assert.deepEqual(store.check(['h-n-2-1']), ['h-n-2-1'], 'closing completes the files');
  assert.equal(rolls, 0);
});
