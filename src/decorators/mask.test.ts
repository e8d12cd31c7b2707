import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { maskDeco } from './mask.js';

test('mask removes the named attributes and keeps the others', async () => {
  const child = new CollectingSink();
  const deco = maskDeco.build(BoundArgs.of('mask', { attrs: ['a', 'c'] }), testContext(), child);
  await deco.open();
  await deco.append([
    Event.of('x', { attrs: { a: '1', b: '2', c: '3', d: '4' } }),
    Event.of('y'),
    Event.of('z', { attrs: { c: '3' } }),
  ]);
  assert.deepEqual(
    child.events.map((e) => e.attrNames()),
    [['b', 'd'], [], []],
  );
});

test('mask without any attribute name is a bad argument', () => {
  assert.throws(
    () => maskDeco.build(BoundArgs.of('mask', { attrs: [] }), testContext(), new CollectingSink()),
    (e: unknown) =>
      e instanceof SluiceError && e.code === 'SLUICE_SPEC_BAD_ARGUMENT' && e.place?.field === 'attrs',
  );
});
