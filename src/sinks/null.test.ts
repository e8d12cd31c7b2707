import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch, testContext } from '../../test/mocks/sinks.js';
import { BoundArgs } from '../catalog/types.js';
import { NullSink, nullSink } from './null.js';

test('the null sink counts and drops events synchronously', async () => {
  const sink = nullSink.build(BoundArgs.of('null', {}), testContext()) as NullSink;
  assert.ok(sink instanceof NullSink);
  await sink.open();
  assert.equal(sink.append(makeBatch(10)), undefined);
  sink.append(makeBatch(5));
  await sink.close();
  assert.deepEqual([sink.events, sink.batches], [15, 2]);
});
