import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { Event, limits } from '../core/event.js';
import { formatDeco } from './format.js';

const build = (pattern: string, child = new CollectingSink()) =>
  formatDeco.build(BoundArgs.of('format', { pattern }), testContext(), child);

test('format rewrites each body from the pattern and keeps the metadata', async () => {
  const child = new CollectingSink();
  const deco = build('%{host} [%{level}] %{body} @%Y-%m-%d', child);
  await deco.open();
  const ts = Date.UTC(2011, 2, 4, 5, 6, 7);
  await deco.append([
    Event.of('disk full', { host: 'web1', timestamp: ts, attrs: { level: 'WARN' } }),
    Event.of('ok', { host: 'web2', timestamp: ts }),
  ]);
  assert.deepEqual(child.bodies(), ['web1 [WARN] disk full @2011-03-04', 'web2 [] ok @2011-03-04']);
  assert.equal(child.events[0]!.getAttrString('level'), 'WARN');
  assert.equal(child.events[1]!.timestamp, ts);
});

test('format keeps bodies within the event size limit', async () => {
  const child = new CollectingSink();
  await build('%{body}%{body}', child).append([Event.of(Buffer.alloc(limits.maxBodySize, 'a'))]);
  assert.equal(child.events[0]!.body.length, limits.maxBodySize);
});

test('a malformed pattern fails at build time naming the decorator and argument', () => {
  assert.throws(
    () => build('100%'),
    (e: unknown) =>
      e instanceof SluiceError &&
      e.code === 'SLUICE_ESCAPE' &&
      e.place?.component === 'format' &&
      e.place.field === 'pattern' &&
      /lone "%"/.test(e.message),
  );
});
