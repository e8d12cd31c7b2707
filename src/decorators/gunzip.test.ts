import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CollectingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event } from '../core/event.js';
import { gunzipDeco } from './gunzip.js';
import { gzipDeco } from './gzip.js';
import { GZIP_ATTR, u32 } from './markers.js';

const ctx = testContext();

async function gzipped(events: Event[]): Promise<Event[]> {
  const c = new CollectingSink();
  await gzipDeco.build(BoundArgs.of('gzip', {}), ctx, c).append(events);
  return c.events;
}

test('gunzip restores gzip events and forwards the others untouched, in order', async () => {
  const out = new CollectingSink();
  const deco = gunzipDeco.build(BoundArgs.of('gunzip', {}), ctx, out);
  const [z0, z1] = await gzipped([Event.of('zipped 0', { attrs: { a: '1' } }), Event.of('zipped 1')]);
  const plain = Event.of('plain');
  await deco.append([z0!, plain, z1!]);
  assert.deepEqual(out.bodies(), ['zipped 0', 'plain', 'zipped 1']);
  assert.equal(out.events[0]!.getAttrString('a'), '1');
  assert.equal(out.events[1], plain);

  const untouched = makeBatch(3);
  await deco.append(untouched);
  assert.equal(out.batches[1], untouched);
});

test('an event that only looks like a gzip event passes through', async () => {
  const out = new CollectingSink();
  const fake = Event.of('not compressed', { attrs: { [GZIP_ATTR]: u32(5) } });
  await gunzipDeco.build(BoundArgs.of('gunzip', {}), ctx, out).append([fake]);
  assert.equal(out.events[0], fake);
});

test('corrupt gzip data, a wrong declared size or a bomb is a SLUICE_FORMAT error', async () => {
  const deco = gunzipDeco.build(BoundArgs.of('gunzip', {}), ctx, new CollectingSink());
  const [z] = await gzipped([Event.of('payload')]);
  const cut = z!.copy();
  cut.body = z!.body.subarray(0, z!.body.length - 6);
  const liar = Event.of('');
  liar.body = z!.body;
  liar.setAttr(GZIP_ATTR, u32(3));
  const bomb = Event.of('');
  bomb.body = gzipSync(Buffer.alloc(50_000_000));
  bomb.setAttr(GZIP_ATTR, u32(100));
  for (const bad of [cut, liar, bomb]) {
    assert.throws(
      () => deco.append([bad]),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === 'SLUICE_FORMAT' &&
        /gunzip: corrupt gzip event/.test(e.message),
    );
  }
});
