import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { CollectingSink, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { Event } from '../core/event.js';
import { decodeEvent } from '../core/eventcodec.js';
import { Priority } from '../core/priority.js';
import { gzipDeco } from './gzip.js';
import { GZIP_ATTR } from './markers.js';

test('gzip turns each event into a marked gzip of the whole serialized event', async () => {
  const out = new CollectingSink();
  const deco = gzipDeco.build(BoundArgs.of('gzip', {}), testContext(), out);
  const body = 'the same line again '.repeat(200);
  const e = Event.of(body, { host: 'h9', timestamp: 1234, priority: Priority.WARN, attrs: { k: 'v' } });
  await deco.append([e, Event.of('second')]);
  assert.equal(out.count, 2);
  const w = out.events[0]!;
  assert.deepEqual([w.body[0], w.body[1]], [0x1f, 0x8b]);
  assert.ok(w.body.length < body.length / 10, `compressed to ${w.body.length} bytes`);
  // The wrapper keeps routing fields, carries only the marker, and unpacks to the original.
  assert.deepEqual(
    [w.host, w.timestamp, w.priority, w.attrNames()],
    ['h9', 1234, Priority.WARN, [GZIP_ATTR]],
  );
  const raw = gunzipSync(w.body);
  assert.equal(w.getAttr(GZIP_ATTR)!.readUInt32BE(0), raw.length);
  const back = decodeEvent(raw);
  assert.equal(back.body.toString(), body);
  assert.equal(back.getAttrString('k'), 'v');
});
