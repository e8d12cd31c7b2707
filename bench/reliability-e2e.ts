/**
 * The end-to-end part of the reliability suite (`npm run bench -- reliability`), from one run:
 *
 *  (a) E2E: `asciisynth(N, 100) | agentE2ESink(...)` in one `sluice node -1` process, a collector
 *      `collectorSource | collectorSink(file://..., 500 ms roll)` in another; every accepted batch is
 *      written to the agent's log and fdatasynced by a group commit shared with the batches read
 *      meanwhile (asciisynth attaches no acks: see docs/reliability.md), and the collector
 *      acknowledges a group only after the roll that synced and renamed its file. Timed from the first line in the
 *      collector's files to the last (the hop's throughput), and separately until the agent exited,
 *      which it does only once every group is acknowledged.
 *  (b) BE: the same, with agentBESink, on the same hop and collector setup.
 *  (c) the disk: fdatasync calls per second after 100 KiB writes (one agent batch of 1,000 events of
 *      100 bytes) into written blocks (as the agent log does) and appending, the physical limit of a
 *      writer that syncs every batch.
 *
 * Runs alternate BE and E2E; each figure is the best of three. See docs/benchmarks-notes.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/core/ports.js';
import { writeSiteConf } from '../test/support/site-conf.js';
import type { Row } from './harness.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SLUICE = join(ROOT, 'bin', 'sluice.js');
const RUNS = 3;
const EVENTS = 2_000_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface Child {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
}

function start(spec: string, conf: string): Child {
  const child = spawn(process.execPath, [SLUICE, 'node', '-1', '--conf', conf, '-e', spec], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    if (err.length < 16_384) err += d;
  });
  return { child, exited: new Promise((r) => child.once('exit', (code) => r(code))), stderr: () => err };
}

async function stop(c: Child): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill('SIGTERM');
  const t = setTimeout(() => c.child.kill('SIGKILL'), 20_000);
  await c.exited;
  clearTimeout(t);
}

/** Lines in every file of `dir`, temporary ones included, reading only what was appended since. */
class Lines {
  private readonly offsets = new Map<string, number>();
  private readonly chunk = Buffer.allocUnsafe(1 << 20);
  n = 0;
  constructor(private readonly dir: string) {}
  poll(): number {
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      return this.n;
    }
    for (const name of names) {
      // A completed file is the renamed temporary one: count each file's bytes under one name only.
      const key = name.replace(/^\./, '').replace(/\.tmp$/, '');
      let off = this.offsets.get(key) ?? 0;
      let fd: number;
      try {
        fd = openSync(join(this.dir, name), 'r');
      } catch {
        continue;
      }
      try {
        for (;;) {
          const r = readSync(fd, this.chunk, 0, this.chunk.length, off);
          if (r <= 0) break;
          off += r;
          for (let i = this.chunk.indexOf(10); i >= 0 && i < r; i = this.chunk.indexOf(10, i + 1)) this.n++;
        }
      } finally {
        closeSync(fd);
      }
      this.offsets.set(key, off);
    }
    return this.n;
  }
}

interface HopRun {
  seconds: number;
  events: number;
  /** E2E: seconds from the first line until the agent exited with every group acknowledged. */
  ackedSeconds?: number;
}

export async function hopRun(
  sink: 'agentBESink' | 'agentE2ESink',
  base: string,
  run: number,
): Promise<HopRun> {
  const dir = join(base, `${sink}-${run}`);
  const out = join(dir, 'out');
  mkdirSync(out, { recursive: true });
  const conf = writeSiteConf(dir, {
    'flume.agent.logdir': join(dir, 'logdir'),
    'flume.agent.logdir.maxage': '1000',
    'flume.agent.ack.poll': '100',
    'flume.collector.output.format': 'raw',
  });
  const port = await freePort();
  const collector = start(`c : collectorSource(${port}) | collectorSink("file://${out}", "d-", 500) ;`, conf);
  try {
    const deadline = Date.now() + 30_000;
    while (!collector.stderr().includes('listening on')) {
      if (Date.now() > deadline || collector.child.exitCode !== null)
        throw new Error(`collector did not start: ${collector.stderr()}`);
      await sleep(20);
    }
    const agent = start(`a : asciisynth(${EVENTS}, 100) | ${sink}("127.0.0.1", ${port}) ;`, conf);
    let exitedAt = 0;
    void agent.exited.then(() => {
      exitedAt = performance.now();
    });
    try {
      const lines = new Lines(out);
      let t0 = 0;
      let first = 0;
      const end = Date.now() + 300_000;
      while (lines.poll() < EVENTS) {
        if (t0 === 0 && lines.n > 0) {
          t0 = performance.now();
          first = lines.n;
        }
        if (Date.now() > end) throw new Error(`${sink}: ${lines.n} of ${EVENTS} lines: ${agent.stderr()}`);
        await sleep(lines.n === 0 ? 5 : 20);
      }
      const t1 = performance.now();
      const code = await agent.exited;
      if (code !== 0) throw new Error(`${sink} agent ended with ${code}: ${agent.stderr()}`);
      return {
        seconds: (t1 - t0) / 1000,
        events: EVENTS - first,
        ...(sink === 'agentE2ESink' ? { ackedSeconds: (exitedAt - t0) / 1000 } : {}),
      };
    } finally {
      await stop(agent);
    }
  } finally {
    await stop(collector);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * fdatasync calls per second after 100 KiB writes, for 2 s, in `dir`: appending to a new file, or
 * overwriting a zero-filled one (what the agent log does: see WalOptions.preallocateBytes).
 */
function fdatasyncRate(dir: string, overwrite: boolean): number {
  const file = join(dir, 'sync.bin');
  const fd = openSync(file, 'w');
  const b = Buffer.alloc(100 * 1024, 0x61);
  const span = 64 * 1024 * 1024;
  if (overwrite) {
    const z = Buffer.alloc(1024 * 1024);
    for (let off = 0; off < span; off += z.length) writeSync(fd, z, 0, z.length, off);
    fdatasyncSync(fd);
  }
  let n = 0;
  const t0 = performance.now();
  try {
    while (performance.now() - t0 < 2000) {
      writeSync(fd, b, 0, b.length, (n * b.length) % (span - b.length));
      fdatasyncSync(fd);
      n++;
    }
  } finally {
    closeSync(fd);
    rmSync(file);
  }
  return n / ((performance.now() - t0) / 1000);
}

export async function benchReliabilityE2E(): Promise<Row[]> {
  const suite = 'reliability';
  const base = mkdtempSync(join(tmpdir(), 'sluice-bench-rel-'));
  try {
    const be: HopRun[] = [];
    const e2e: HopRun[] = [];
    for (let i = 0; i < RUNS; i++) {
      be.push(await hopRun('agentBESink', base, i));
      e2e.push(await hopRun('agentE2ESink', base, i));
    }
    const rate = (r: HopRun) => r.events / r.seconds;
    const bestBe = be.reduce((a, b) => (rate(b) > rate(a) ? b : a));
    const bestE2e = e2e.reduce((a, b) => (rate(b) > rate(a) ? b : a));
    const appending = fdatasyncRate(base, false);
    const overwriting = fdatasyncRate(base, true);
    const beRate = rate(bestBe);
    const e2eRate = rate(bestE2e);
    const n = EVENTS.toLocaleString('en-US');
    return [
      {
        suite,
        name: 'E2E: asciisynth -> agentE2ESink -> collectorSource -> collectorSink (100 B)',
        value: e2eRate,
        unit: 'events/s',
        ratio: { against: 'BE on the same hop', value: e2eRate / beRate },
        note: `${n} events; every batch fdatasynced in the agent log (group commit), acks after the collector's synced roll (500 ms); best of ${RUNS}; target 300,000 and 40% of BE`,
      },
      {
        suite,
        name: 'E2E: the same, until every group is acknowledged',
        value: bestE2e.events / (bestE2e.ackedSeconds ?? bestE2e.seconds),
        unit: 'events/s',
        note: 'from the first event at the collector until the agent exited (it exits once all is acknowledged)',
      },
      {
        suite,
        name: 'BE: asciisynth -> agentBESink -> collectorSource -> collectorSink (100 B)',
        value: beRate,
        unit: 'events/s',
        note: `${n} events, same collector; best of ${RUNS}`,
      },
      {
        suite,
        name: 'limit: fdatasync after a 100 KiB write into written blocks, this disk',
        value: overwriting,
        unit: 'syncs/s',
        note: `what the agent log does (zero-filled segments); one batch of 1,000 events of 100 B per sync: at most ${Math.round(overwriting * 1000).toLocaleString('en-US')} events/s`,
      },
      {
        suite,
        name: 'limit: fdatasync after a 100 KiB appending write, this disk',
        value: appending,
        unit: 'syncs/s',
        note: 'the same, growing the file (each sync also commits the file system journal)',
      },
    ];
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchReliabilityE2E())
    console.log(r.name, Math.round(r.value), r.unit, r.ratio?.value.toFixed(2) ?? '');
}
