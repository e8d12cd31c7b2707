import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pull, testContext } from '../../test/support/source-helpers.js';
import { BoundArgs } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { eventCounters, limits } from '../core/event.js';
import { asciisynthSource, nonlsynthSource, SynthSource, synthSource } from './synth.js';

const args = (name: string, msgCount: number, msgSize: number) => BoundArgs.of(name, { msgCount, msgSize });

describe('synth sources', () => {
  it('asciisynth(20, 30) gives 20 events of 30 printable ASCII bytes, then is drained', async () => {
    const src = asciisynthSource.build(args('asciisynth', 20, 30), testContext());
    await src.open();
    const r = await pull(src);
    assert.equal(r.drained, true);
    assert.equal(r.events.length, 20);
    for (const e of r.events) {
      assert.equal(e.body.length, 30);
      for (const b of e.body) assert.ok(b >= 0x20 && b <= 0x7e, `byte ${b}`);
    }
    assert.equal(new Set(r.events.map((e) => e.body.toString())).size, 20, 'the bodies differ');
    await src.close();
  });

  it('nonlsynth never emits a newline, synth does emit one in enough random bytes', async () => {
    const count = 20_000;
    const countNl = async (def: typeof synthSource, name: string) => {
      const src = def.build(args(name, count, 100), testContext());
      await src.open();
      const r = await pull(src);
      await src.close();
      assert.equal(r.events.length, count);
      assert.ok(r.events.every((e) => e.body.length === 100));
      return r.events.reduce((acc, e) => acc + (e.body.includes(0x0a) ? 1 : 0), 0);
    };
    assert.equal(await countNl(nonlsynthSource, 'nonlsynth'), 0);
    assert.ok((await countNl(synthSource, 'synth')) > 0);
  });

  it('returns batches of at most 1000 synchronously, in strict nanos order', async () => {
    const src = new SynthSource(2500, 10, 'synth');
    await src.open();
    const sizes: number[] = [];
    let last = -1;
    for (let b = src.next(); b !== null; b = src.next()) {
      assert.ok(Array.isArray(b), 'synchronous batch');
      sizes.push(b.length);
      for (const e of b) {
        assert.ok(e.nanos > last);
        last = e.nanos;
      }
    }
    assert.deepEqual(sizes, [1000, 1000, 500]);
    assert.equal(src.next(), null);
    await src.close();
  });

  it('close() drains it; zero count is drained at once; oversize bodies are truncated', async () => {
    const src = new SynthSource(10_000, 5, 'synth');
    await src.open();
    assert.ok(src.next());
    await src.close();
    assert.equal(src.next(), null);
    const empty = new SynthSource(0, 5, 'synth');
    await empty.open();
    assert.equal(empty.next(), null);
    const before = eventCounters.truncated;
    const big = new SynthSource(3, limits.maxBodySize + 10, 'asciisynth');
    await big.open();
    const b = big.next()!;
    assert.ok(b.every((e) => e.body.length === limits.maxBodySize));
    assert.equal(eventCounters.truncated - before, 3);
  });

  it('rejects negative arguments naming the field', () => {
    assert.throws(
      () => synthSource.build(args('synth', -1, 10), testContext()),
      (e: unknown) =>
        e instanceof SluiceError && e.place?.field === 'msgCount' && /non-negative/.test(e.message),
    );
  });

  it('is fast: at least a million 100-byte events per second even on a loaded machine', async () => {
    // The target is 5 M/s; the bound is loose because tests share two cores.
    const count = 2_000_000;
    const src = new SynthSource(count, 100, 'asciisynth');
    await src.open();
    const t0 = process.hrtime.bigint();
    let total = 0;
    for (let b = src.next(); b !== null; b = src.next()) total += b.length;
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.equal(total, count);
    assert.ok(count / secs > 1_000_000, `${Math.round(count / secs)} events/s`);
  });
});
