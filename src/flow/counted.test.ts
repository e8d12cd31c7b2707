import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CollectingSink, FailingSink } from '../../test/mocks/sinks.js';
import { Ack } from '../core/ack.js';
import { Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import { CountedSink, SinkTally } from './counted.js';
import { settleAck } from './settle.js';

const batch = (...bodies: string[]) => bodies.map((b) => Event.of(b));

test('a counted sink: delivered and failed events in the totals, the same appends in its report', async () => {
  const tally = new SinkTally();
  const sink = new CountedSink(new FailingSink({ failAppends: 1, async: true }), tally.entry('1:9', 'text'));
  await sink.open();
  await assert.rejects(async () => sink.append(batch('a', 'bb')), /append failure 1/);
  await sink.append(batch('ccc', 'dddd', 'e'));
  await sink.close();
  assert.deepEqual(tally.list(), [{ name: 'text', delivered: 3, dropped: 0, retried: 0, failed: 2 }]);
  const r = tally.meter('1:9')!.report('IDLE');
  assert.deepEqual(
    [r.eventsIn, r.eventsOut, r.bytes, r.batches, r.errors, r.lastError],
    [5, 3, 11, 2, 1, 'append failure 1'],
  );
  assert.equal(
    r.latency.counts.reduce((a, b) => a + b, 0),
    1,
    'one latency count per accepted batch',
  );
});

test('sinks of one name are told apart by their place, in the totals and in the report', async () => {
  const tally = new SinkTally();
  for (const key of ['1:5', '1:20']) {
    const sink = new CountedSink(new CollectingSink(), tally.entry(key, 'null'));
    await sink.open();
    await sink.append(batch(key));
  }
  tally.entry('1:30', 'text');
  assert.deepEqual(
    tally.list().map((t) => [t.name, t.delivered]),
    [
      ['null@1:5', 1],
      ['null@1:20', 1],
      ['text', 0],
    ],
  );
  assert.deepEqual(
    tally.meterList().map(({ name, meter }) => [name, meter.bytes]),
    [
      ['null@1:5', 3],
      ['null@1:20', 4],
      ['text', 0],
    ],
  );
});

test('an ack listener that throws is logged under the runner that settled it, and does not throw', () => {
  const logger = memoryLogger();
  const ack = new Ack(() => {
    throw new Error('position file gone');
  });
  settleAck(ack, undefined, logger, 'source', 'r1');
  assert.ok(ack.isOk);
  assert.deepEqual(logger.lines, [
    'WARN source r1: the source failed on an acknowledgement: position file gone',
  ]);
});
