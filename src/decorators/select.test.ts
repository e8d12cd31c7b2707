import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { selectDeco } from './select.js';

test('select keeps only the named attributes', async () => {
  const child = new CollectingSink();
  const deco = selectDeco.build(
    BoundArgs.of('select', { attrs: ['a', 'c', 'missing'] }),
    testContext(),
    child,
  );
  await deco.open();
  await deco.append([
    Event.of('x', { attrs: { a: '1', b: '2', c: '3', d: '4' } }),
    Event.of('y', { attrs: { b: '2' } }),
    Event.of('z'),
  ]);
  assert.deepEqual(
    child.events.map((e) => e.attrNames()),
    [['a', 'c'], [], []],
  );
  assert.equal(child.events[0]!.getAttrString('c'), '3');
});

test('select without any attribute name is a bad argument', () => {
  assert.throws(
    () => selectDeco.build(BoundArgs.of('select', { attrs: [] }), testContext(), new CollectingSink()),
    (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_SPEC_BAD_ARGUMENT',
  );
});
