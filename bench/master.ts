// The `master` suite: how many heartbeating nodes one master holds, and how soon a `config` reaches a
// node. The master is a real `sluice master` process (memory store); the nodes are NodeAgents in this
// process, each with a runner that reports its logical nodes ACTIVE as soon as it is given them (no
// pipeline runs: what is measured is the master and its wire), heartbeating once a second over real
// HTTP on loopback. The fleet grows step by step until heartbeats are late or refused; at the target
// size a hundred `config` commands are timed from submission to the node running the new spec.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from '../src/core/logger.js';
import { freePort } from '../src/core/ports.js';
import type { PipelineReport } from '../src/flow/report.js';
import type { NodeStatus } from '../src/master/master.js';
import { type LogicalNodeRunner, NodeAgent } from '../src/master/node-agent.js';
import { callMaster, type MasterAddress } from '../src/master/wire.js';
import type { Row } from './harness.js';

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

/** Applies nothing: the logical nodes it is given are ACTIVE at once; `applied` hears each spec. */
class SimulatedRunner implements LogicalNodeRunner {
  private names: string[] = [];
  constructor(private readonly applied: (spec: string) => void) {}
  async apply(spec: string): Promise<void> {
    this.names = [...spec.matchAll(/^(\S+) :/gm)].map((m) => m[1]!);
    this.applied(spec);
  }
  reports(): PipelineReport[] {
    return this.names.map((name) => ({
      name,
      kind: 'logical-node',
      state: 'ACTIVE',
      version: 1,
      components: [],
    }));
  }
  async stop(): Promise<void> {}
}

/** Counts what the nodes say instead of printing it: busy answers and failed heartbeats. */
function countingLogger(counts: { busy: number; failing: number }): Logger {
  const warn = (m: string) => {
    if (/is busy/.test(m)) counts.busy++;
    if (/failing|did not answer/.test(m)) counts.failing++;
  };
  const quiet = () => {};
  const logger: Logger = { debug: quiet, info: quiet, warn, error: warn, child: () => logger };
  return logger;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startMaster(): Promise<{
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
      join(ROOT, 'bin', 'sluice.js'),
      'master',
      '--store',
      'memory',
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
}

export async function benchMaster(): Promise<Row[]> {
  const master = await startMaster();
  const counts = { busy: 0, failing: 0 };
  const logger = countingLogger(counts);
  const agents: NodeAgent[] = [];
  /** Submission time of each timed config, by its marker, and how long it took to reach its node. */
  const submitted = new Map<number, number>();
  const took: number[] = [];
  const onApply = (spec: string) => {
    const m = /asciisynth\((\d+), 7\)/.exec(spec);
    const t0 = m ? submitted.get(Number(m[1])) : undefined;
    if (t0 !== undefined) {
      submitted.delete(Number(m![1]));
      took.push(Date.now() - t0);
    }
  };
  const steps: Step[] = [];
  let configured = false;
  try {
    for (const size of STEPS) {
      // The new nodes join at JOIN_RATE a second, as a fleet rolled out host by host: a first join is
      // a store write costing time in the size of the state, so a whole fleet joining in the same
      // second stalls the master (the figure of the last row).
      const from = agents.length;
      const spreadMs = Math.max(PERIOD_MS, ((size - from) / JOIN_RATE) * 1000);
      for (let i = from; i < size; i++) {
        const agent = new NodeAgent({
          physical: `sim${i}`,
          host: 'bench',
          masters: [master.heartbeat],
          periodMs: PERIOD_MS,
          logger,
          runner: new SimulatedRunner(onApply),
        });
        agents.push(agent);
        setTimeout(() => agent.start(), Math.random() * spreadMs);
      }
      const beforeJoin = { ...counts };
      // Every new node joins first (a join is written to the store: the costly part), then the fleet's
      // state is asked once a period.
      const joinStart = Date.now();
      for (;;) {
        const status = await callMaster<NodeStatus[]>(master.admin, 'GET', '/status', undefined, 30_000);
        if (status.filter((s) => s.name.startsWith('sim')).length >= size || Date.now() - joinStart > 120_000)
          break;
        await sleep(PERIOD_MS / 4);
      }
      const joinMs = Date.now() - joinStart;
      const joinFailed = counts.failing - beforeJoin.failing;
      const joinBusy = counts.busy - beforeJoin.busy;
      await sleep(PERIOD_MS);
      const before = { ...counts };
      let lateMax = 0;
      const ages: number[] = [];
      for (let k = 0; k < WATCH_PERIODS; k++) {
        await sleep(PERIOD_MS);
        const now = Date.now();
        const status = await callMaster<NodeStatus[]>(master.admin, 'GET', '/status', undefined, 30_000);
        const mine = status.filter((s) => s.name.startsWith('sim'));
        const late = mine.filter((s) => now - s.lastSeen > LATE_MS).length + (size - mine.length);
        lateMax = Math.max(lateMax, late);
        for (const s of mine) ages.push(now - s.lastSeen);
      }
      const step: Step = {
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
        `  ${size} nodes (${size - from} joined in ${joinMs} ms, meanwhile ${joinFailed} failed and ${joinBusy} told to come back): ${lateMax} late at worst, ${step.busy} told to come back, ${step.failing} failed heartbeats, p99 time since the last heartbeat ${step.ageP99} ms`,
      );
      if (size === TARGET || (!configured && (lateMax > 0 || step.busy > 0 || step.failing > 0))) {
        configured = true;
        for (let k = 0; k < CONFIGS; k++) {
          const node = `sim${Math.floor(Math.random() * size)}`;
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
    await Promise.all(agents.map((a) => a.stop()));
    master.child.kill('SIGTERM');
  }
  const held = steps.filter((s) => s.lateMax <= s.nodes / 100 && s.busy === 0 && s.failing === 0);
  const best = held.at(-1);
  const first = steps.find((s) => !held.includes(s));
  const rows: Row[] = [
    {
      suite: 'master',
      name: 'nodes held at 1 heartbeat/s',
      value: best?.nodes ?? 0,
      unit: 'nodes',
      note: `${best ? `at ${best.nodes}: ${best.lateMax} late, p99 ${best.ageP99} ms since a node's last heartbeat` : 'none'}; ${first ? `at ${first.nodes}: ${first.lateMax} late, ${first.busy} refused, ${first.failing} failed` : `no step up to ${STEPS.at(-1)} went late`}; target 5,000`,
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
