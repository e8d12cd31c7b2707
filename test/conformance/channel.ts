import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Channel } from '../../src/channels/types.js';
import type { Batch } from '../../src/core/event.js';
import { Event } from '../../src/core/event.js';

/**
 * The suite every channel passes: transaction state machine, capacity and transactionCapacity,
 * rollback order, concurrent transactions, keep-alive waits and stop. A channel's test file calls
 * `channelConformance` with a factory that builds a fresh, stopped channel from NG-style properties.
 */
export interface ChannelUnderTest {
  make(props: Record<string, string>): Channel | Promise<Channel>;
  /** The channel also bounds body bytes (memory: byteCapacity, byteCapacityBufferPercentage). */
  bytes?: boolean;
}

const ev = (i: number, body = `e${i}`) => Event.of(body, { timestamp: 1000 + i, nanos: i });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => ev(from + i));
const bodies = (b: Batch) => b.map((e) => e.body.toString());
const names = (from: number, n: number) => Array.from({ length: n }, (_, i) => `e${from + i}`);

async function putCommit(ch: Channel, events: Batch): Promise<void> {
  const tx = ch.transaction();
  tx.begin();
  try {
    await tx.put(events);
    await tx.commit();
  } catch (e) {
    await tx.rollback();
    throw e;
  } finally {
    tx.close();
  }
}

async function takeCommit(ch: Channel, max: number): Promise<Batch> {
  const tx = ch.transaction();
  tx.begin();
  const got = await tx.take(max);
  await tx.commit();
  tx.close();
  return got;
}

/** Takes every committed event, in batches (without waiting out keep-alive at the end). */
async function drain(ch: Channel, max = 10): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < 100_000 && ch.size > 0; i++) {
    const got = await takeCommit(ch, max);
    assert.ok(got.length > 0, 'a take with events at hand returned nothing');
    out.push(...bodies(got));
  }
  return out;
}

const code = (c: string) => (e: unknown) => {
  assert.equal((e as { code?: string }).code, c, String(e));
  return true;
};

export function channelConformance(label: string, cut: ChannelUnderTest): void {
  describe(`${label}: channel conformance`, () => {
    const open: Channel[] = [];
    const start = async (props: Record<string, string> = {}) => {
      const ch = await cut.make({
        capacity: '100',
        transactionCapacity: '50',
        'keep-alive': '0.2',
        ...props,
      });
      await ch.start();
      open.push(ch);
      return ch;
    };
    afterEach(async () => {
      for (const ch of open.splice(0)) await ch.stop();
    });

    it('delivers committed puts in order and counts size', async () => {
      const ch = await start();
      assert.equal(ch.size, 0);
      await putCommit(ch, range(0, 30));
      await putCommit(ch, range(30, 20));
      assert.equal(ch.size, 50);
      const tx = ch.transaction();
      tx.begin();
      const a = await tx.take(25);
      const b = await tx.take(25);
      assert.equal(ch.size, 0, 'taken events are not available to others');
      await tx.commit();
      tx.close();
      assert.deepEqual([...bodies(a), ...bodies(b)], names(0, 50));
      assert.equal(a[3]!.timestamp, 1003);
      assert.equal(ch.size, 0);
    });

    it('counts the body bytes it holds: in at commit, out when a take commits, back on rollback', async () => {
      const ch = await start();
      const held = () => ch.bytes;
      // Bodies "e0" ... "e9" (2 bytes) and "e10" ... "e19" (3 bytes).
      await putCommit(ch, range(0, 10));
      await putCommit(ch, range(10, 10));
      assert.equal(held(), 50);
      const tx = ch.transaction();
      tx.begin();
      await tx.take(5);
      // Taken events hold their bytes until the take commits (a rollback needs their room).
      assert.equal(held(), 50);
      await tx.rollback();
      tx.close();
      assert.equal(held(), 50);
      await takeCommit(ch, 12);
      assert.equal(held(), 50 - 10 * 2 - 2 * 3);
      await drain(ch);
      assert.equal(held(), 0);
    });

    it('hides puts until commit and drops them on rollback', async () => {
      const ch = await start();
      const tx = ch.transaction();
      tx.begin();
      await tx.put(range(0, 10));
      assert.equal(ch.size, 0);
      assert.deepEqual(await takeCommit(ch, 10), []);
      await tx.rollback();
      tx.close();
      assert.equal(ch.size, 0);
      await putCommit(ch, range(10, 3));
      assert.deepEqual(await drain(ch), names(10, 3));
    });

    it('returns taken events to the head in order on rollback', async () => {
      const ch = await start();
      await putCommit(ch, range(0, 10));
      await putCommit(ch, range(10, 10));
      const t1 = ch.transaction();
      t1.begin();
      assert.deepEqual(bodies(await t1.take(4)), names(0, 4));
      const t2 = ch.transaction();
      t2.begin();
      // t2 spans the end of the first put and the start of the second.
      assert.deepEqual(bodies(await t2.take(12)), names(4, 12));
      await t2.rollback();
      t2.close();
      await t1.rollback();
      t1.close();
      assert.equal(ch.size, 20);
      assert.deepEqual(await drain(ch, 7), names(0, 20));
    });

    it('enforces transactionCapacity on puts and takes', async () => {
      const ch = await start({ transactionCapacity: '10' });
      const tx = ch.transaction();
      tx.begin();
      await tx.put(range(0, 6));
      assert.throws(() => tx.put(range(6, 5)), code('SLUICE_TRANSACTION'));
      assert.throws(() => tx.put(range(6, 5)), /exceeds the transactionCapacity of 10 \(6 already put\)/);
      await tx.put(range(6, 4));
      await tx.commit();
      tx.close();
      const t2 = ch.transaction();
      t2.begin();
      assert.throws(() => t2.take(11), code('SLUICE_TRANSACTION'));
      assert.equal((await t2.take(7)).length, 7);
      assert.throws(() => t2.take(4), /take\(4\) exceeds the transactionCapacity of 10 \(7 already taken\)/);
      assert.equal((await t2.take(3)).length, 3);
      await t2.commit();
      t2.close();
    });

    it('refuses calls out of order with SLUICE_TRANSACTION', async () => {
      const ch = await start();
      const tx = ch.transaction();
      assert.equal(tx.state, 'new');
      assert.throws(() => tx.put([ev(0)]), /put\(\) on a new transaction \(call begin\(\) first\)/);
      assert.throws(() => tx.commit(), code('SLUICE_TRANSACTION'));
      tx.begin();
      assert.throws(() => tx.begin(), code('SLUICE_TRANSACTION'));
      assert.throws(() => tx.close(), /close\(\) on an open transaction: commit or roll back first/);
      await tx.put([ev(0)]);
      await tx.commit();
      assert.equal(tx.state, 'completed');
      assert.throws(() => tx.put([ev(1)]), /put\(\) on a completed transaction \(it was already committed/);
      assert.throws(() => tx.commit(), code('SLUICE_TRANSACTION'));
      assert.throws(() => tx.rollback(), code('SLUICE_TRANSACTION'));
      tx.close();
      assert.equal(tx.state, 'closed');
      assert.throws(() => tx.take(1), /take\(\) on a closed transaction \(it is closed\)/);
      assert.throws(() => tx.close(), code('SLUICE_TRANSACTION'));
      // A pending take makes the transaction busy until it settles.
      const t2 = ch.transaction();
      t2.begin();
      await t2.take(1);
      const waiting = t2.take(1);
      assert.ok(waiting instanceof Promise);
      assert.throws(() => t2.commit(), /commit\(\) while take\(\) is still pending: await it first/);
      assert.deepEqual(await waiting, []);
      await t2.commit();
      t2.close();
    });

    it('fails a commit with SLUICE_CHANNEL_FULL after keep-alive when there is no room', async () => {
      const ch = await start({ capacity: '20', transactionCapacity: '20' });
      await putCommit(ch, range(0, 15));
      const tx = ch.transaction();
      tx.begin();
      await tx.put(range(15, 10));
      const t0 = Date.now();
      await assert.rejects(
        async () => tx.commit(),
        (e: Error & { code?: string; retriable?: boolean }) => {
          assert.equal(e.code, 'SLUICE_CHANNEL_FULL');
          assert.equal(e.retriable, true);
          assert.match(
            e.message,
            /cannot commit 10 events: no room within keep-alive 0.2s \(capacity 20, 15 in use\)/,
          );
          return true;
        },
      );
      const waited = Date.now() - t0;
      // The upper bound only proves the wait ends; a loaded machine may run the timer late.
      assert.ok(waited >= 180 && waited < 20_000, `waited ${waited} ms`);
      assert.equal(tx.state, 'open', 'a failed commit can still be rolled back');
      await tx.rollback();
      tx.close();
      assert.equal(ch.size, 15);
      // Exactly full is fine.
      await putCommit(ch, range(15, 5));
      assert.equal(ch.size, 20);
      assert.deepEqual(await drain(ch), names(0, 20));
    });

    it('counts taken events against capacity until their transaction commits', async () => {
      const ch = await start({ capacity: '10', transactionCapacity: '10', 'keep-alive': '0.1' });
      await putCommit(ch, range(0, 10));
      const taker = ch.transaction();
      taker.begin();
      assert.equal((await taker.take(5)).length, 5);
      await assert.rejects(putCommit(ch, [ev(10)]), code('SLUICE_CHANNEL_FULL'));
      await taker.commit();
      taker.close();
      await putCommit(ch, range(10, 5));
      assert.deepEqual(await drain(ch), names(5, 10));
      // A transaction that takes as many as it puts needs no extra room.
      await putCommit(ch, range(20, 10));
      const swap = ch.transaction();
      swap.begin();
      await swap.take(4);
      await swap.put(range(30, 4));
      await swap.commit();
      swap.close();
      assert.deepEqual(await drain(ch), [...names(24, 6), ...names(30, 4)]);
    });

    it('wakes a waiting take when events are committed and a waiting commit when room is freed', async () => {
      // A keep-alive of 30 s against bounds of 10 s: woken, not timed out, with room for a loaded
      // machine (and a file channel's fsyncs).
      const ch = await start({ capacity: '10', transactionCapacity: '10', 'keep-alive': '30' });
      const taker = ch.transaction();
      taker.begin();
      const t0 = Date.now();
      const pending = taker.take(10);
      setTimeout(() => void putCommit(ch, range(0, 3)), 50);
      assert.deepEqual(bodies(await pending), names(0, 3));
      assert.ok(Date.now() - t0 < 10_000, 'woken long before keep-alive');
      await taker.commit();
      taker.close();

      await putCommit(ch, range(3, 10));
      const t1 = Date.now();
      setTimeout(() => void takeCommit(ch, 4), 50);
      await putCommit(ch, range(13, 4));
      assert.ok(Date.now() - t1 < 10_000, 'commit woken long before keep-alive');
      assert.deepEqual(await drain(ch), names(7, 10));
    });

    it('returns an empty take after keep-alive on an empty channel', async () => {
      const ch = await start({ 'keep-alive': '0.15' });
      const tx = ch.transaction();
      tx.begin();
      const t0 = Date.now();
      assert.deepEqual(await tx.take(5), []);
      const waited = Date.now() - t0;
      assert.ok(waited >= 130 && waited < 20_000, `waited ${waited} ms`);
      await tx.commit();
      tx.close();
    });

    it('keeps every event exactly once under concurrent producers and consumers with rollbacks', async () => {
      const ch = await start({ capacity: '200', transactionCapacity: '40', 'keep-alive': '0.05' });
      const producers = 4;
      const perProducer = 600;
      const seen = new Map<string, number>();
      const produce = async (p: number) => {
        for (let i = 0; i < perProducer; i += 20) {
          const batch = Array.from({ length: 20 }, (_, k) => ev(0, `p${p}-${i + k}`));
          for (let attempt = 0; ; attempt++) {
            try {
              await putCommit(ch, batch);
              break;
            } catch (e) {
              // Full while slow consumers (a file channel's fsyncs on a loaded machine) catch up: retried
              // for as long as the deadline below allows.
              if ((e as { code?: string }).code !== 'SLUICE_CHANNEL_FULL' || attempt > 2000) throw e;
            }
          }
        }
      };
      let consumed = 0;
      const total = producers * perProducer;
      const deadline = Date.now() + 60_000;
      const consume = async (c: number) => {
        for (let round = 0; consumed < total && Date.now() < deadline; round++) {
          const tx = ch.transaction();
          tx.begin();
          const got = await tx.take(1 + ((round * 7 + c) % 40));
          if (round % 5 === 4) {
            await tx.rollback();
          } else {
            await tx.commit();
            for (const e of got) {
              const k = e.body.toString();
              seen.set(k, (seen.get(k) ?? 0) + 1);
            }
            consumed += got.length;
          }
          tx.close();
        }
      };
      await Promise.all([
        ...Array.from({ length: producers }, (_, p) => produce(p)),
        consume(0),
        consume(1),
        consume(2),
      ]);
      assert.equal(consumed, total);
      assert.equal(seen.size, total);
      assert.ok(
        [...seen.values()].every((n) => n === 1),
        'no duplicates',
      );
      assert.equal(ch.size, 0);
    });

    it('keeps each producer in order for a single consumer', async () => {
      const ch = await start({ capacity: '1000', transactionCapacity: '50' });
      await Promise.all(
        [0, 1, 2].map(async (p) => {
          for (let i = 0; i < 200; i += 25) {
            await putCommit(
              ch,
              Array.from({ length: 25 }, (_, k) => ev(0, `p${p}-${i + k}`)),
            );
          }
        }),
      );
      const got = await drain(ch, 50);
      assert.equal(got.length, 600);
      for (const p of [0, 1, 2]) {
        const mine = got.filter((b) => b.startsWith(`p${p}-`));
        assert.deepEqual(
          mine,
          Array.from({ length: 200 }, (_, i) => `p${p}-${i}`),
        );
      }
    });

    it('ends waits on stop and refuses work after it', async () => {
      const ch = await start({ 'keep-alive': '30' });
      const tx = ch.transaction();
      tx.begin();
      const t0 = Date.now();
      const pending = tx.take(5);
      setTimeout(() => void ch.stop(), 30);
      assert.deepEqual(await pending, []);
      // Ended by the stop, not by the 30 s keep-alive.
      assert.ok(Date.now() - t0 < 10_000);
      await tx.rollback();
      tx.close();
      const t2 = ch.transaction();
      t2.begin();
      assert.throws(() => t2.put([ev(0)]), code('SLUICE_CLOSED'));
    });

    if (cut.bytes) {
      it('bounds body bytes with byteCapacity less its buffer percentage', async () => {
        const ch = await start({
          capacity: '1000',
          transactionCapacity: '100',
          byteCapacity: '1000',
          byteCapacityBufferPercentage: '20',
          'keep-alive': '0.1',
        });
        const big = (i: number) => ev(i, `${String(i).padStart(4, '0')}`.padEnd(100, '.'));
        await putCommit(
          ch,
          Array.from({ length: 8 }, (_, i) => big(i)),
        );
        await assert.rejects(putCommit(ch, [big(8)]), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'SLUICE_CHANNEL_FULL');
          return true;
        });
        await takeCommit(ch, 1);
        await putCommit(ch, [big(8)]);
        assert.equal(ch.size, 8);
        // A put larger than the whole limit fails at once: waiting could never help. Measured on a
        // channel whose keep-alive (30 s) is far above the bound, so a loaded machine cannot fail it.
        const patient = await start({
          capacity: '1000',
          transactionCapacity: '100',
          byteCapacity: '1000',
          byteCapacityBufferPercentage: '20',
          'keep-alive': '30',
        });
        const t0 = Date.now();
        await assert.rejects(
          putCommit(patient, [ev(0, 'x'.repeat(900))]),
          /more than the channel can ever hold/,
        );
        assert.ok(Date.now() - t0 < 10_000);
      });
    }
  });
}
