import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { FailingSink, makeBatch, testContext } from '../../test/mocks/sinks.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { acked, takeAck } from '../core/ack.js';
import type { EventSink } from '../core/pipeline.js';
import { freePort } from '../core/ports.js';
import { CountedSink, TalliedSink } from '../flow/counted.js';
import { CollectorAckClient } from './ack-service.js';
import { AckedWriteAheadSink, type WriteAheadOptions } from './acked-write-ahead.js';

function options(dir: string, acked: boolean): WriteAheadOptions {
  return {
    dir,
    node: 'n1',
    acked,
    maxMillis: 50,
    retransmitMs: 60_000,
    pollMs: 20,
    closeTimeoutMs: 5000,
    logger: testContext().logger,
  };
}

test('writeAhead: batches are on disk before append returns and reach a failing sub sink, whole and in order, once it recovers', async (t) => {
  const dir = tempDir('writeahead', t);
  const child = new FailingSink({ failAppends: 3 });
  const sink = new AckedWriteAheadSink([{ name: 'child', sink: child }], options(dir, false));
  await sink.open();
  for (let i = 0; i < 5; i++) await sink.append(makeBatch(10, `b${i}-`));
  assert.ok(
    readdirSync(dir).some((f) => f.endsWith('.wal')),
    'the log is on disk',
  );
  assert.ok(sink.reliability().walBytes > 5 * 10 * 20, `log bytes counted (${sink.reliability().walBytes})`);
  await sink.close();
  assert.equal(child.appendFailures, 3);
  const all = Array.from({ length: 5 }, (_, b) => Array.from({ length: 10 }, (_, i) => `b${b}-${i}`)).flat();
  // A failed send restarts its group from the log: the last pass carries the whole group in order,
  // and sends of that group that succeeded before it are duplicates (at least once).
  assert.deepEqual(child.bodies().slice(-all.length), all);
  assert.deepEqual(new Set(child.bodies()), new Set(all));
  const f = sink.reliability();
  assert.equal(f.groupsPending, 0);
  assert.ok(f.groupsAcked >= 1);
});

test('ackedWriteAhead with nobody acknowledging: close gives up after its timeout naming the groups, and they survive', async (t) => {
  const dir = tempDir('ackedwriteahead', t);
  const unused = await freePort();
  const child = new FailingSink();
  const opts = { ...options(dir, true), closeTimeoutMs: 200 };
  // A collector that never answers: nothing listens on the port.
  const acks = () =>
    new CollectorAckClient({ host: '127.0.0.1', port: unused, connectTimeoutMs: 100, backoffMaxMs: 100 });
  const sink = new AckedWriteAheadSink([{ name: 'child', sink: child, acks: acks() }], opts);
  await sink.open();
  await sink.append(makeBatch(7));
  await assert.rejects(
    sink.close(),
    /1 group\(s\) \(7 events\) not acknowledged within 200 ms; they stay in /,
  );
  assert.equal(
    child.events.filter((e) => e.getAttrString('AckType') === 'msg').length,
    7,
    'the group was sent',
  );
  const again = new AckedWriteAheadSink([{ name: 'child', sink: child, acks: acks() }], opts);
  await again.open();
  assert.equal(again.reliability().groupsPending, 1, 'the unacknowledged group is still in the log');
  assert.equal(again.reliability().groupsRetransmitted, 1);
  await assert.rejects(again.close(), /not acknowledged/);
});

test('ackedWriteAhead handing over to the next version of its node: close leaves the groups to it without waiting', async (t) => {
  const dir = tempDir('ackedwriteahead-handover', t);
  const unused = await freePort();
  const child = new FailingSink();
  const handover = { replaced: false, logsKept: false };
  const logger = testContext().logger;
  const opts = { ...options(dir, true), closeTimeoutMs: 60_000, handover, logger };
  const acks = () =>
    new CollectorAckClient({ host: '127.0.0.1', port: unused, connectTimeoutMs: 100, backoffMaxMs: 100 });
  const sink = new AckedWriteAheadSink([{ name: 'child', sink: child, acks: acks() }], opts);
  await sink.open();
  await sink.append(makeBatch(7));
  handover.replaced = true;
  handover.logsKept = true;
  const started = Date.now();
  await sink.close();
  assert.ok(Date.now() - started < 30_000, `close took ${Date.now() - started} ms, not the 60 s timeout`);
  assert.ok(
    logger.lines.some((l) =>
      /1 group\(s\) \(7 events\) not acknowledged yet: left in .* to the node's next version/.test(l),
    ),
    logger.lines.join('\n'),
  );
  const next = new AckedWriteAheadSink([{ name: 'child', sink: child, acks: acks() }], {
    ...opts,
    handover: { replaced: false, logsKept: false },
    closeTimeoutMs: 200,
  });
  await next.open();
  assert.equal(next.reliability().groupsPending, 1, 'the next version has the group');
  await assert.rejects(next.close(), /not acknowledged/);
});

test('handing over while a send hangs (a collector that never answers): the send is cut short, the group stays for the next version', async (t) => {
  const dir = tempDir('ackedwriteahead-hung', t);
  // Accepts every batch and never answers, until it is closed (as an RPC client rejects its requests).
  let pendingAppends = 0;
  const rejects: ((e: Error) => void)[] = [];
  const hung: EventSink = {
    open: async () => {},
    append: () => {
      pendingAppends++;
      return new Promise<void>((_, reject) => rejects.push(reject));
    },
    close: async () => {
      for (const r of rejects.splice(0)) r(new Error('client closed'));
    },
  };
  const handover = { replaced: true, logsKept: true };
  const logger = testContext().logger;
  const opts = { ...options(dir, true), closeTimeoutMs: 60_000, handover, logger };
  const sink = new AckedWriteAheadSink([{ name: 'hung', sink: hung }], opts);
  await sink.open();
  await sink.append(makeBatch(5));
  await waitFor(() => pendingAppends > 0, 'a send under way');
  const started = Date.now();
  await sink.close();
  assert.ok(Date.now() - started < 30_000, `close took ${Date.now() - started} ms`);
  assert.ok(!logger.lines.some((l) => /unreachable|failing/.test(l)), logger.lines.join('\n'));
  const next = new AckedWriteAheadSink([{ name: 'child', sink: new FailingSink() }], {
    ...opts,
    handover: { replaced: false, logsKept: false },
    closeTimeoutMs: 200,
    acked: false,
  });
  await next.open();
  assert.equal(next.reliability().groupsPending >= 1, true, 'the next version has the group');
  await next.close().catch(() => undefined);
});

test('a write-ahead sink shows its figures in its component report', () => {
  const figures = { groupsPending: 2, groupsAcked: 5, groupsRetransmitted: 1, walBytes: 4096 };
  const inner = {
    open: async () => {},
    append: () => {},
    close: async () => {},
    reliability: () => figures,
  };
  const { meter } = new CountedSink(inner, new TalliedSink('agentE2ESink'));
  assert.deepEqual(meter.report('ACTIVE').reliability, figures);
});

test('two write-ahead sinks of one node each get a log directory of their own', async (t) => {
  const dir = tempDir('writeahead-two', t);
  const base = `${dir}/writeahead`;
  const a = new FailingSink();
  const b = new FailingSink();
  const first = new AckedWriteAheadSink([{ name: 'a', sink: a }], { ...options(base, false) });
  const second = new AckedWriteAheadSink([{ name: 'b', sink: b }], { ...options(base, false) });
  await first.open();
  await second.open();
  await first.append(makeBatch(2, 'a'));
  await second.append(makeBatch(3, 'b'));
  await first.close();
  await second.close();
  assert.deepEqual(readdirSync(dir).sort(), ['writeahead', 'writeahead-2']);
  assert.deepEqual(a.bodies(), ['a0', 'a1']);
  assert.deepEqual(b.bodies(), ['b0', 'b1', 'b2']);
});

test('a batch its source acks is synced before append returns; batches without an ack share syncs', async (t) => {
  const dir = tempDir('writeahead-group', t);
  const child = new FailingSink();
  const sink = new AckedWriteAheadSink([{ name: 'child', sink: child }], options(dir, false));
  await sink.open();
  // As a logical node hands them over: taken from the source, with or without an ack.
  const pulled = (n: number, prefix: string, withAck: boolean) => {
    const b = makeBatch(n, prefix);
    if (withAck) acked(b, () => {});
    takeAck(b);
    return b;
  };
  await sink.append(pulled(5, 'a', true));
  assert.equal(sink.stats.accepted, 5, 'the acked batch is durable when append returns');
  await sink.append(pulled(5, 'x', false));
  assert.equal(sink.stats.accepted, 5, 'the batch without an ack is still on its way to the disk');
  const before = sink.logStats!.syncs;
  const batches = 40;
  for (let i = 0; i < batches; i++) await sink.append(pulled(10, `n${i}-`, false));
  // An array no runner took (a decorator made it) may stand for an acked one: synced first.
  await sink.append(makeBatch(3, 'd'));
  assert.equal(sink.stats.accepted, 5 + 5 + batches * 10 + 3, 'everything before it is durable too');
  const syncs = sink.logStats!.syncs - before;
  assert.ok(syncs < batches, `${batches + 1} appends shared ${syncs} syncs`);
  await sink.close();
  assert.equal(child.bodies().length, 5 + 5 + batches * 10 + 3);
});
