// One worker thread's share of the `master` suite's simulated fleet (bench/master.ts): NodeAgents with
// runners that report their logical nodes ACTIVE as soon as they are given them. The fleet is spread
// over a few threads so that the simulated nodes, not the master, are never what runs out of time.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../src/core/logger.js';
import type { PipelineReport } from '../src/flow/report.js';
import { type LogicalNodeRunner, NodeAgent } from '../src/master/node-agent.js';
import type { MasterAddress } from '../src/master/wire.js';

export interface FleetData {
  heartbeat: MasterAddress;
  periodMs: number;
  /**
   * Shared with the main thread: [busy answers, failed heartbeats, then per thread the longest its
   * event loop was held up (ms) since the main thread last set it to 0].
   */
  counts: SharedArrayBuffer;
  /** This thread's index (its slot after the first two). */
  thread: number;
}

export type FleetCommand = { type: 'grow'; from: number; to: number; spreadMs: number } | { type: 'stop' };

/** To the main thread: a timed configuration (its marker) reached its node at `at`; or the fleet stopped. */
export type FleetEvent = { type: 'applied'; marker: number; at: number } | { type: 'stopped' };

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

const data = workerData as FleetData;
const counts = new Int32Array(data.counts);
const port = parentPort!;

// A thread of the fleet held up for long makes its nodes late without the master being slow: the
// longest hold-up is reported, so such a run shows itself.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
setInterval(() => {
  const ms = Math.round(delay.max / 1e6);
  delay.reset();
  if (ms > Atomics.load(counts, 2 + data.thread)) Atomics.store(counts, 2 + data.thread, ms);
}, 250).unref();

/** Counts what the nodes say instead of printing it: busy answers and failed heartbeats. */
const warn = (m: string) => {
  if (/is busy/.test(m)) Atomics.add(counts, 0, 1);
  if (/failing|did not answer/.test(m)) Atomics.add(counts, 1, 1);
};
const quiet = () => {};
const logger: Logger = { debug: quiet, info: quiet, warn, error: warn, child: () => logger };

const onApply = (spec: string) => {
  const m = /asciisynth\((\d+), 7\)/.exec(spec);
  if (m) port.postMessage({ type: 'applied', marker: Number(m[1]), at: Date.now() } satisfies FleetEvent);
};

const agents: NodeAgent[] = [];
const timers = new Set<NodeJS.Timeout>();
port.on('message', async (cmd: FleetCommand) => {
  if (cmd.type === 'grow') {
    for (let i = cmd.from; i < cmd.to; i++) {
      const agent = new NodeAgent({
        physical: `sim${i}`,
        host: 'bench',
        masters: [data.heartbeat],
        periodMs: data.periodMs,
        logger,
        runner: new SimulatedRunner(onApply),
      });
      agents.push(agent);
      const timer = setTimeout(() => {
        timers.delete(timer);
        agent.start();
      }, Math.random() * cmd.spreadMs);
      timers.add(timer);
    }
  } else {
    for (const t of timers) clearTimeout(t);
    await Promise.all(agents.map((a) => a.stop()));
    port.postMessage({ type: 'stopped' } satisfies FleetEvent);
  }
});
