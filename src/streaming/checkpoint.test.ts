import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { seededRng } from '../../test/support/arbitrary.js';
import { tempDir } from '../../test/support/tmp.js';
import { waitFor } from '../../test/support/wait.js';
import { SluiceError } from '../core/errors.js';
import { memoryLogger } from '../core/logger.js';
import { readCheckpoint } from './checkpoint.js';
import { StreamingContext } from './context.js';
import { StateSpec } from './state.js';

type KV = [string, number];
const B = 1000;
/** Set when this file runs as the child of the SIGKILL test (below): then it registers no tests. */
const CHILD_DIR = process.env.SLUICE_STREAMING_CHILD;
const unlessChild: typeof test = CHILD_DIR === undefined ? test : ((() => {}) as unknown as typeof test);

/** The same program before and after a restart: running totals, and a windowed count with the inverse. */
function program(queue: KV[][], out: { totals: Map<number, KV[]>; windows: Map<number, KV[]> }) {
  const ssc = new StreamingContext({ batchIntervalMs: B, clock: 'manual', logger: memoryLogger() });
  const pairs = ssc.queueStream(queue);
  pairs
    .updateStateByKey<string, number, number>((vs, s) => vs.reduce((a, b) => a + b, s ?? 0))
    .foreachRDD((r, t) => {
      out.totals.set(t, [...r].sort());
    });
  pairs
    .reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      4 * B,
      2 * B,
    )
    .foreachRDD((r, t) => {
      out.windows.set(t, [...r].sort());
    });
  return ssc;
}

const batchesOf = (n: number): KV[][] =>
  Array.from({ length: n }, (_, i) => [
    [`k${i % 3}`, i + 1],
    ['all', 1],
  ]);

unlessChild(
  'getOrCreate restores state and windows: a restarted program continues as if never stopped',
  async (t) => {
    const dir = tempDir('streaming-cp', t);
    const input = batchesOf(12);
    // Uninterrupted run.
    const whole = { totals: new Map(), windows: new Map() };
    const once = program(
      input.map((b) => [...b]),
      whole,
    );
    await once.start();
    await once.advance(12 * B);
    await once.stop();

    // The same input in two runs: 6 batches, then a new context from the checkpoint for the other 6.
    const before = { totals: new Map(), windows: new Map() };
    let built = 0;
    const first = await StreamingContext.getOrCreate(dir, () => {
      built++;
      const ssc = program(input.slice(0, 6), before);
      ssc.checkpoint(dir, { intervalMs: 2 * B });
      return ssc;
    });
    await first.start();
    await first.advance(6 * B);
    await first.stop();
    assert.equal((await readCheckpoint(dir))?.time, 6 * B);

    const after = { totals: new Map(), windows: new Map() };
    const second = await StreamingContext.getOrCreate(dir, () => {
      built++;
      return program(input.slice(6), after);
    });
    await second.start();
    await second.advance(6 * B);
    await second.stop();
    assert.equal(built, 2);
    for (let time = 7 * B; time <= 12 * B; time += B)
      assert.deepEqual(after.totals.get(time), whole.totals.get(time), `totals at ${time}`);
    for (const time of [8 * B, 10 * B, 12 * B])
      assert.deepEqual(after.windows.get(time), whole.windows.get(time), `window at ${time}`);
    assert.equal(after.totals.has(6 * B), false, 'batch 6 is not run twice');
  },
);

unlessChild('a checkpoint of another graph or batch interval is refused with a typed error', async (t) => {
  const dir = tempDir('streaming-cp-graph', t);
  const out = { totals: new Map(), windows: new Map() };
  const ssc = program([], out);
  ssc.checkpoint(dir, { intervalMs: B });
  await ssc.start();
  await ssc.advance(B);
  await ssc.stop();
  await assert.rejects(
    StreamingContext.getOrCreate(dir, () => {
      const other = new StreamingContext({ batchIntervalMs: B, clock: 'manual', logger: memoryLogger() });
      other.queueStream<number>([]).count().print();
      return other;
    }),
    (e: unknown) =>
      e instanceof SluiceError && e.code === 'SLUICE_STREAMING' && /another graph/.test(e.message),
  );
  await assert.rejects(
    StreamingContext.getOrCreate(
      dir,
      () => new StreamingContext({ batchIntervalMs: 2 * B, clock: 'manual' }),
    ),
    /batch interval of 1000 ms, the context has 2000 ms/,
  );
  writeFileSync(`${dir}/checkpoint`, '{"version": 1, "stre');
  await assert.rejects(
    StreamingContext.getOrCreate(dir, () => program([], out)),
    (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_STORAGE' && /is corrupt/.test(e.message),
  );
});

unlessChild(
  'recovery at random points gives the outputs of an uninterrupted run (random windows, intervals, timeouts)',
  async (t) => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = seededRng(seed * 131);
      const n = 30;
      const w = (1 + Math.floor(r() * 5)) * B;
      const s = (1 + Math.floor(r() * 2)) * B;
      const interval = (1 + Math.floor(r() * 3)) * B;
      const crashAfter = 5 + Math.floor(r() * 20);
      const input: KV[][] = Array.from({ length: n }, () =>
        Array.from(
          { length: Math.floor(r() * 6) },
          (): KV => [`k${Math.floor(r() * 5)}`, 1 + Math.floor(r() * 9)],
        ),
      );
      const what = `seed ${seed}: window ${w} slide ${s} checkpoint every ${interval} crash after batch ${crashAfter}`;
      const build = (queue: KV[][], out: Map<string, Map<number, string>>) => {
        const ssc = new StreamingContext({ batchIntervalMs: B, clock: 'manual', logger: memoryLogger() });
        const pairs = ssc.queueStream(queue);
        const record = (name: string) => (rs: readonly unknown[], time: number) => {
          let m = out.get(name);
          if (m === undefined) out.set(name, (m = new Map()));
          m.set(time, JSON.stringify([...rs].map((x) => JSON.stringify(x)).sort()));
        };
        pairs
          .updateStateByKey<string, number, number>((vs, st) => vs.reduce((a, b) => a + b, st ?? 0))
          .foreachRDD(record('state'));
        pairs
          .reduceByKeyAndWindow(
            (a, b) => a + b,
            (a, b) => a - b,
            w,
            s,
          )
          .foreachRDD(record('inverse'));
        pairs.window(w, s).count().foreachRDD(record('window'));
        pairs
          .mapWithState(
            StateSpec.function<string, number, number, string>((k, v, st) => {
              if (st.isTimingOut()) return `timeout ${k}`;
              st.update((st.getOption() ?? 0) + (v ?? 0));
              return `${k} ${st.get()}`;
            }).timeout(2 * B),
          )
          .foreachRDD(record('mapWithState'));
        return ssc;
      };
      const whole = new Map<string, Map<number, string>>();
      const once = build(
        input.map((b) => [...b]),
        whole,
      );
      await once.start();
      await once.advance(n * B);
      await once.stop();

      const dir = tempDir(`streaming-cp-${seed}`, t);
      const first = await StreamingContext.getOrCreate(dir, () => {
        const ssc = build(input.slice(0, crashAfter), new Map());
        ssc.checkpoint(dir, { intervalMs: interval });
        return ssc;
      });
      await first.start();
      await first.advance(crashAfter * B);
      await first.stop();
      const saved = Math.floor((crashAfter * B) / interval) * interval;
      assert.equal((await readCheckpoint(dir))?.time, saved, what);

      // The restarted program reads its input from the batch after the checkpoint.
      const after = new Map<string, Map<number, string>>();
      const second = await StreamingContext.getOrCreate(dir, () => build(input.slice(saved / B), after));
      await second.start();
      await second.advance(n * B - saved);
      await second.stop();
      for (const [name, outputs] of whole)
        for (const [time, value] of outputs)
          if (time > saved) assert.equal(after.get(name)?.get(time), value, `${name} at ${time}, ${what}`);
    }
  },
);

// ---- a real process killed with SIGKILL -------------------------------------------------------------

// The child: every 50 ms batch adds 1 to a running count (updateStateByKey), checkpointed every batch,
// and prints `{"time", "zero", "count"}` per batch. After a restart from the checkpoint the count must
// still equal the number of batches since the first start's zero time: state restored, no batch lost.
if (CHILD_DIR !== undefined) {
  const dir = CHILD_DIR;
  const ssc = await StreamingContext.getOrCreate(dir, () => {
    const c = new StreamingContext({ batchIntervalMs: 50, logger: memoryLogger() });
    c.checkpoint(dir, { intervalMs: 50 });
    c.queueStream<KV>([], { defaultBatch: [['batches', 1]] })
      .updateStateByKey<string, number, number>((vs, s) => (s ?? 0) + vs.length)
      .foreachRDD((r, time) => {
        process.stdout.write(`${JSON.stringify({ time, zero: c.zeroTime, count: r[0]?.[1] ?? 0 })}\n`);
      });
    return c;
  });
  await ssc.start();
} else {
  test('after SIGKILL, getOrCreate in a new process restores the state and runs the batches it missed', async (t) => {
    const dir = tempDir('streaming-kill', t);
    const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_STREAMING_CHILD: dir };
    // Without the runner's NODE_TEST_CONTEXT the child writes plain lines, not the runner's protocol.
    delete env.NODE_TEST_CONTEXT;
    const runChild = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: { time: number; zero: number; count: number }[] = [];
      let buf = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
      });
      // 'close': the lines the child printed before the kill are all read by then.
      const exited = new Promise<void>((r) => child.on('close', () => r()));
      t.after(() => {
        child.kill('SIGKILL');
      });
      return { child, lines, exited, err: () => err };
    };
    const a = runChild();
    await waitFor(
      () => a.lines.length >= 8,
      () => `8 batches from the first process; stderr: ${a.err()}`,
      30_000,
    );
    a.child.kill('SIGKILL');
    await a.exited;
    const b = runChild();
    await waitFor(
      () => b.lines.length >= 3,
      () => `3 batches after the restart; stderr: ${b.err()}`,
      30_000,
    );
    b.child.kill('SIGKILL');
    await b.exited;
    const zero = a.lines[0]!.zero;
    for (const l of [...a.lines, ...b.lines]) {
      assert.equal(l.zero, zero, 'the restarted context keeps the batch times of the first');
      assert.equal(l.count, (l.time - zero) / 50, `count at ${l.time}: one per batch since the start`);
    }
    // The first batch after the restart is the one after the last checkpoint: the last batch printed
    // (killed before its checkpoint) or the next one.
    const last = a.lines.at(-1)!.time;
    assert.ok(
      b.lines[0]!.time >= last && b.lines[0]!.time <= last + 50,
      `resumed at ${b.lines[0]!.time} after ${last}`,
    );
  });
}
