import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { testContext } from '../../test/mocks/sinks.js';
import { waitFor } from '../../test/support/wait.js';
import { ComponentProperties, type RawProps } from '../catalog/properties.js';
import { BoundArgs } from '../catalog/types.js';
import { takeAck } from '../core/ack.js';
import { bodyTexts, Event } from '../core/event.js';
import type { EventSink } from '../core/pipeline.js';
import { type AvroEventSource, avroSource } from '../sources/avro.js';
import { AvroEventSink } from './avro.js';
import { ngAvroSink } from './avro-ng.js';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function sink(props: RawProps): Promise<EventSink> {
  const s = ngAvroSink.create(
    new ComponentProperties('sink k1', ngAvroSink.properties, props),
    testContext(),
  );
  assert.ok(s instanceof AvroEventSink, 'the same sink as avroSink');
  await s.open();
  cleanup.push(() => s.close());
  return s;
}

/** A receiving avroSource whose node delivers every batch; `got` holds the bodies of each batch. */
async function receiver(): Promise<{ src: AvroEventSource; got: string[][] }> {
  const src = avroSource.build(
    BoundArgs.of('avroSource', { port: 0, bind: '127.0.0.1' }),
    testContext(),
  ) as AvroEventSource;
  await src.open();
  const got: string[][] = [];
  const pulling = (async () => {
    for (let b = await src.next(); b !== null; b = await src.next()) {
      got.push(bodyTexts(b));
      takeAck(b)!.ok();
    }
  })();
  cleanup.push(async () => {
    await src.close();
    await pulling;
  });
  return { src, got };
}

test('the agent avro sink sends appendBatch calls of batch-size events, resolved once answered OK', async () => {
  const { src, got } = await receiver();
  const s = await sink({ hostname: '127.0.0.1', port: String(src.port), 'batch-size': '2' });
  await s.append(['a', 'b', 'c'].map((t) => Event.of(t)));
  assert.deepEqual(got, [['a', 'b'], ['c']]);
});

test('reset-connection-interval reconnects between batches once the interval has passed', async () => {
  const { src, got } = await receiver();
  const s = await sink({ hostname: '127.0.0.1', port: String(src.port), 'reset-connection-interval': '1' });
  await s.append([Event.of('first')]);
  await s.append([Event.of('same connection')]);
  assert.equal(src.connections?.accepted, 1);
  const started = Date.now();
  await waitFor(() => Date.now() - started >= 1000, 'the interval to pass');
  await s.append([Event.of('after the interval')]);
  assert.equal(src.connections?.accepted, 2, 'a new connection');
  assert.deepEqual(got, [['first'], ['same connection'], ['after the interval']]);
});
