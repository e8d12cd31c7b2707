import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { encodeEvents } from '../core/eventcodec.js';
import { BATCH_ATTR, u32, wrapperEvent } from './markers.js';
import { unbatchDeco } from './unbatch.js';

const build = (child: CollectingSink) => unbatchDeco.build(BoundArgs.of('unbatch', {}), testContext(), child);

function aggregate(events: Event[], declared = events.length): Event {
  const e = wrapperEvent(encodeEvents(events));
  e.setAttr(BATCH_ATTR, u32(declared));
  return e;
}

test('unbatch expands aggregates in place and forwards plain events in order', async () => {
  const out = new CollectingSink();
  await build(out).append([
    Event.of('p0'),
    aggregate(makeBatch(3, 'a')),
    Event.of('p1'),
    aggregate(makeBatch(2, 'b')),
  ]);
  assert.equal(out.batches.length, 1);
  assert.deepEqual(out.bodies(), ['p0', 'a0', 'a1', 'a2', 'p1', 'b0', 'b1']);
});

test('a batch without aggregates passes through as the same array', async () => {
  const out = new CollectingSink();
  const plain = makeBatch(4);
  plain[1]!.setAttr(BATCH_ATTR, 'not ours'); // a user attribute of the same name, body not an aggregate
  await build(out).append(plain);
  assert.equal(out.batches[0], plain);
});

test('a corrupt or inconsistent aggregate is a SLUICE_FORMAT error', () => {
  const cut = aggregate(makeBatch(3));
  cut.body = cut.body.subarray(0, cut.body.length - 2);
  assert.throws(
    () => build(new CollectingSink()).append([cut]),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.code === 'SLUICE_FORMAT' &&
      /corrupt aggregate event: corrupt event batch at offset \d+/.test(e.message),
  );
  assert.throws(
    () => build(new CollectingSink()).append([aggregate(makeBatch(3), 4)]),
    (e: unknown) => e instanceof SluiceError && /declares 4 events but holds 3/.test(e.message),
  );
});
