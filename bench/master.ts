// The `master` suite: how many heartbeating nodes one master holds, and how soon a `config` reaches a
// node. The master is a real `sluice master` process (memory store; SLUICE_BENCH_MASTER_STORE=embedded
// for its default, durable one); the nodes are NodeAgents in this process, spread over a few worker
// threads (bench/master-fleet.ts), each with a runner that reports its logical nodes ACTIVE as soon as
// it is given them (no pipeline runs: what is measured is the master and its wire), heartbeating once a
// second over real HTTP on loopback. The fleet grows step by step until heartbeats are late or
// refused; at the target size a hundred `config` commands are timed from submission to the node
// running the new spec. The CPU both sides used is printed with each step,
// so a run where the simulated fleet, not the master, ran short shows itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { freePort } from '../src/core/ports.js';
import type { NodeStatus } from '../src/master/master.js';
import { callMaster, type MasterAddress } from '../src/master/wire.js';
import type { Row } from './harness.js';
import type { FleetCommand, FleetData, FleetEvent } from './master-fleet.js';

const ROOT = join(import.meta.dirname, '..');
const PERIOD_MS = 1000;
const STEPS = [1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000];
const TARGET = 5000;
const JOIN_RATE = 250;
const CONFIGS = 100;
/** Whole periods of steady heartbeating watched at each step. */
const WATCH_PERIODS = 6;
/** A node whose last answered heartbeat is older than this, when the master is asked, is late. */
const LATE_MS = 2 * PERIOD_MS;
/** Worker threads the simulated fleet is spread over. */
const FLEET_THREADS = 4;

/** The simulated fleet: worker threads, each running a slice of the nodes. */
class Fleet {
  private readonly workers: Worker[] = [];
  private readonly counts = new SharedArrayBuffer(4 * (2 + FLEET_THREADS));
  size = 0;
  constructor(heartbeat: MasterAddress, onApplied: (marker: number, at: number) => void) {
    for (let i = 0; i < FLEET_THREADS; i++) {
      const data: FleetData = { heartbeat, periodMs: PERIOD_MS, counts: this.counts, thread: i };
      const w = new Worker(new URL('./master-fleet.mjs', import.meta.url), { workerData: data });
      w.on('message', (e: FleetEvent) => {
        if (e.type === 'applied') onApplied(e.marker, e.at);
      });
      w.on('error', (e) => console.error(`fleet thread: ${e.message}`));
      this.workers.push(w);
    }
  }
  /** Busy answers and failed heartbeats so far. */
  tally(): { busy: number; failing: number } {
    const c = new Int32Array(this.counts);
    return { busy: Atomics.load(c, 0), failing: Atomics.load(c, 1) };
  }
  /** The longest a fleet thread's event loop was held up since the last call (ms). */
  longestDelay(): number {
    const c = new Int32Array(this.counts);
    let max = 0;
    for (let i = 0; i < FLEET_THREADS; i++) max = Math.max(max, Atomics.exchange(c, 2 + i, 0));
    return max;
  }
  /** Starts nodes up to `size`, each at a random moment within `spreadMs`. */
  grow(size: number, spreadMs: number): void {
    const per = Math.ceil((size - this.size) / this.workers.length);
    this.workers.forEach((w, i) => {
      const from = this.size + i * per;
      const to = Math.min(size, from + per);
      if (from < to) w.postMessage({ type: 'grow', from, to, spreadMs } satisfies FleetCommand);
    });
    this.size = size;
  }
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 30_000);
            w.on('message', (e: FleetEvent) => {
              if (e.type === 'stopped') {
                clearTimeout(timer);
                resolve();
              }
            });
            w.postMessage({ type: 'stop' } satisfies FleetCommand);
          }),
      ),
    );
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

/** CPU seconds (user + system) a process used so far, from /proc (Linux). */
function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startMaster(storeDir: string): Promise<{
  child: ChildProcess;
  heartbeat: MasterAddress;
  admin: MasterAddress;
  log: () => string;
}> {
  const hb = await freePort();
  const admin = await freePort();
  const child = spawn(
    process.execPath,
    [
      // SLUICE_BENCH_PROFILE=DIR: the master writes a CPU profile there when it stops.
      ...(process.env.SLUICE_BENCH_PROFILE
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.SLUICE_BENCH_PROFILE]
        : []),
      join(ROOT, 'bin', 'sluice.js'),
      'master',
      // The memory store: what is measured is the master, not a disk shared with other work.
      // SLUICE_BENCH_MASTER_STORE=embedded runs it on its default store (each change fsynced).
      ...(process.env.SLUICE_BENCH_MASTER_STORE === 'embedded'
        ? ['--store-dir', storeDir]
        : ['--store', 'memory']),
      '--heartbeat-port',
      `${hb}`,
      '--admin-port',
      `${admin}`,
    ],
    { cwd: ROOT, env: { ...process.env, SLUICE_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Only the lines about load are kept: a join is logged per node.
  let kept = '';
  const keep = (d: Buffer) => {
    for (const line of d.toString('utf8').split('\n'))
      if (/in hand|limit|error|ERROR/.test(line)) kept += `${line}\n`;
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const at = { host: '127.0.0.1', port: admin };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await callMaster(at, 'GET', '/status', undefined, 1000);
      break;
    } catch (e) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the master did not start: ${kept}`, { cause: e });
      await sleep(100);
    }
  }
  return { child, heartbeat: { host: '127.0.0.1', port: hb }, admin: at, log: () => kept };
}

interface Step {
  nodes: number;
  lateMax: number;
  busy: number;
  failing: number;
  ageP99: number;
  joinMs: number;
  joinFailed: number;
  joinBusy: number;
  /** Cores the master and the bench process (the simulated fleet) used while watched. */
  masterCores: number;
  benchCores: number;
  /** The longest a fleet thread's event loop was held up while watched (ms). */
  fleetDelay: number;
  statusMs: number;
}

export async function benchMaster(): Promise<Row[]> {
  const storeDir = mkdtempSync(join(tmpdir(), 'sluice-bench-master-'));
  const master = await startMaster(storeDir);
  /** Submission time of each timed config, by its marker, and how long it took to reach its node. */
  const submitted = new Map<number, number>();
  const took: number[] = [];
  const fleet = new Fleet(master.heartbeat, (marker, at) => {
    const t0 = submitted.get(marker);
    if (t0 !== undefined) {
      submitted.delete(marker);
      took.push(at - t0);
    }
  });
  const steps: Step[] = [];
  /** The machine's load average at the end of each step's watch. */
  const loads: number[] = [];
  let configured = false;
  try {
    for (const size of STEPS) {
      // The new nodes join at JOIN_RATE a second, as a fleet rolled out host by host: a first join is
      // a store write costing time in the size of the state, so a whole fleet joining in the same
      // second stalls the master (the figure of the last row).
      const from = fleet.size;
      const spreadMs = Math.max(PERIOD_MS, ((size - from) / JOIN_RATE) * 1000);
      fleet.grow(size, spreadMs);
      const beforeJoin = fleet.tally();
      // Every new node joins first (a join is written to the store: the costly part), then the fleet's
      // state is asked once a period.
      const joinStart = Date.now();
      for (;;) {
        const status = await callMaster<NodeStatus[]>(master.admin, 'GET', '/status', undefined, 30_000);
        if (status.filter((s) => s.name.startsWith('sim')).length >= size || Date.now() - joinStart > 120_000)
          break;
        await sleep(PERIOD_MS / 2);
      }
      const joinMs = Date.now() - joinStart;
      const joined = fleet.tally();
      const joinFailed = joined.failing - beforeJoin.failing;
      const joinBusy = joined.busy - beforeJoin.busy;
      await sleep(PERIOD_MS);
      const before = fleet.tally();
      const cpu0 = { master: processCpu(master.child.pid!), bench: ownCpu(), at: Date.now() };
      fleet.longestDelay();
      let lateMax = 0;
      /** The slowest answer to /status while watched: the master held up shows there. */
      let statusMs = 0;
      const ages: number[] = [];
      for (let k = 0; k < WATCH_PERIODS; k++) {
        await sleep(PERIOD_MS);
        const now = Date.now();
        const status = await callMaster<NodeStatus[]>(master.admin, 'GET', '/status', undefined, 30_000);
        statusMs = Math.max(statusMs, Date.now() - now);
        const mine = status.filter((s) => s.name.startsWith('sim'));
        const late = mine.filter((s) => now - s.lastSeen > LATE_MS).length + (size - mine.length);
        lateMax = Math.max(lateMax, late);
        for (const s of mine) ages.push(now - s.lastSeen);
      }
      const wall = (Date.now() - cpu0.at) / 1000;
      const counts = fleet.tally();
      loads.push(loadavg()[0]!);
      const step: Step = {
        fleetDelay: fleet.longestDelay(),
        statusMs,
        masterCores: (processCpu(master.child.pid!) - cpu0.master) / wall,
        benchCores: (ownCpu() - cpu0.bench) / wall,
        nodes: size,
        lateMax,
        busy: counts.busy - before.busy,
        failing: counts.failing - before.failing,
        ageP99: percentile(ages, 99),
        joinMs,
        joinFailed,
        joinBusy,
      };
      steps.push(step);
      console.log(
        `  ${size} nodes (${size - from} joined in ${joinMs} ms, meanwhile ${joinFailed} failed and ${joinBusy} told to come back): ${lateMax} late at worst, ${step.busy} told to come back, ${step.failing} failed heartbeats, p99 time since the last heartbeat ${step.ageP99} ms; cores used: master ${step.masterCores.toFixed(2)}, simulated fleet ${step.benchCores.toFixed(2)}; longest hold-up of a fleet thread ${step.fleetDelay} ms, slowest /status answer ${step.statusMs} ms`,
      );
      if (size === TARGET || (!configured && (lateMax > 0 || step.busy > 0 || step.failing > 0))) {
        configured = true;
        // Distinct nodes: a second config of one node supersedes the first, which then never applies.
        const picked = new Set<number>();
        while (picked.size < Math.min(CONFIGS, size)) picked.add(Math.floor(Math.random() * size));
        const nodes = [...picked];
        for (let k = 0; k < nodes.length; k++) {
          const node = `sim${nodes[k]}`;
          submitted.set(k, Date.now());
          await callMaster(master.admin, 'POST', '/commands', {
            cmd: 'config',
            args: [node, `asciisynth(${k}, 7)`, 'null'],
          });
          await sleep(PERIOD_MS / 20);
        }
        const deadline = Date.now() + 10 * PERIOD_MS;
        while (submitted.size > 0 && Date.now() < deadline) await sleep(50);
      }
      if (lateMax > size / 100 || step.busy > 0 || step.failing > 0) break;
    }
  } finally {
    await fleet.stop();
    master.child.kill('SIGTERM');
    await new Promise((r) => (master.child.exitCode !== null ? r(undefined) : master.child.once('exit', r)));
    rmSync(storeDir, { recursive: true, force: true });
  }
  const load = loads.length > 0 ? loads.reduce((a, b) => a + b) / loads.length : Number.NaN;
  const shared = `${process.env.SLUICE_BENCH_MASTER_STORE === 'embedded' ? 'embedded' : 'memory'} store; machine shared: load average ${load.toFixed(1)} on ${cpus().length} cores during the run`;
  const held = steps.filter((s) => s.lateMax <= s.nodes / 100 && s.busy === 0 && s.failing === 0);
  const best = held.at(-1);
  const first = steps.find((s) => !held.includes(s));
  const rows: Row[] = [
    {
      suite: 'master',
      name: 'nodes held at 1 heartbeat/s',
      value: best?.nodes ?? 0,
      unit: 'nodes',
      note: `${best ? `at ${best.nodes}: ${best.lateMax} late, p99 ${best.ageP99} ms since a node's last heartbeat, cores used: master ${best.masterCores.toFixed(2)}, simulated fleet ${best.benchCores.toFixed(2)}` : 'none'}; ${first ? `at ${first.nodes}: ${first.lateMax} late, ${first.busy} refused, ${first.failing} failed` : `no step up to ${STEPS.at(-1)} went late`}; target 5,000; ${shared}`,
    },
  ];
  if (took.length > 0) {
    const at = steps.find((st) => st.nodes === TARGET) ? TARGET : steps.at(-1)!.nodes;
    const periods = (ms: number) => (ms / PERIOD_MS).toFixed(2);
    for (const p of [50, 99])
      rows.push({
        suite: 'master',
        name: `config to ACTIVE, p${p}`,
        value: percentile(took, p),
        unit: 'ms',
        note: `${periods(percentile(took, p))} heartbeat periods; ${took.length} configs among ${at} heartbeating nodes, period ${PERIOD_MS} ms${p === 99 ? `; ${submitted.size} not applied within 10 periods; target under 2 periods` : ''}`,
      });
  }
  // What a heartbeat costs the master in CPU: unlike the fleet size, it hardly moves with how much of the
  // machine other work leaves the master.
  const costAt = best ?? steps.at(-1);
  if (costAt !== undefined)
    rows.push({
      suite: 'master',
      name: 'master CPU per heartbeat',
      value: (costAt.masterCores * 1e6) / costAt.nodes,
      unit: 'µs',
      note: `at ${costAt.nodes} nodes, steady (all joined): master ${costAt.masterCores.toFixed(2)} cores for ${costAt.nodes} heartbeats/s; the simulated fleet ${((costAt.benchCores * 1e6) / costAt.nodes).toFixed(0)} µs per heartbeat; by step: ${steps.map((st) => `${st.nodes}: ${((st.masterCores * 1e6) / st.nodes).toFixed(0)}`).join(', ')}`,
    });
  const joins = steps.map((st) => `${st.nodes}: ${(st.joinMs / 1000).toFixed(1)} s`).join(', ');
  rows.push({
    suite: 'master',
    name: `fleet joining at ${JOIN_RATE}/s (time to all joined, last step)`,
    value: steps.at(-1)?.joinMs ?? 0,
    unit: 'ms',
    note: `by step: ${joins}; failed heartbeats while joining: ${steps.map((st) => st.joinFailed).join(', ')}`,
  });
  if (master.log().trim() !== '') console.log(master.log());
  return rows;
}
