import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { Event } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { valueDeco } from './value.js';

const value = (attr: string, v: string, child: EventSink) =>
  valueDeco.build(BoundArgs.of('value', { attr, value: v }), testContext(), child);

test('value adds the attribute to every event of a batch', async () => {
  const child = new CollectingSink();
  const deco = value('dc', 'east', child);
  await deco.open();
  await deco.append(makeBatch(50));
  assert.equal(child.count, 50);
  assert.ok(child.events.every((e) => e.getAttrString('dc') === 'east'));
});

test('value never overwrites an attribute written upstream', async () => {
  const child = new CollectingSink();
  // value("dc","first") => value("dc","second") => child: the upstream stage wins.
  const deco = value('dc', 'first', value('dc', 'second', child));
  await deco.open();
  await deco.append([Event.of('a'), Event.of('b', { attrs: { dc: 'origin' } })]);
  assert.deepEqual(
    child.events.map((e) => e.getAttrString('dc')),
    ['first', 'origin'],
  );
});
