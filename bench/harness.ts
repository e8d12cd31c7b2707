import { execFileSync } from 'node:child_process';
import { SiteConfig } from '../src/core/config.js';
import { memoryLogger } from '../src/core/logger.js';
import { builtinCatalog } from '../src/flow/builtins.js';
import { compileSpec } from '../src/flow/compile.js';
import { LogicalNode } from '../src/flow/logical-node.js';
import { parseSpec } from '../src/spec/parser.js';

/** One measured figure of a benchmark, as stored in bench/results/*.json and docs/benchmarks.md. */
export interface Row {
  suite: string;
  name: string;
  value: number;
  unit: string;
  /** Ratio against the physical limit or a peer, and what it is against. */
  ratio?: { against: string; value: number };
  note?: string;
}

export interface SpecRun {
  events: number;
  seconds: number;
  /** Events per second after the first second (JIT warm-up), as a node running for days sees it. */
  steadyRate: number;
  /**
   * CPU time the process used for the run (user + system, every thread, GC included). On a shared
   * machine it moves far less than the rate, which depends on how much of the machine others leave.
   */
  cpuSeconds: number;
}

/** Runs one single-node spec to completion in this process and returns events and seconds. */
export async function runSpec(spec: string, allowExec = false): Promise<SpecRun> {
  const logger = memoryLogger();
  const config = SiteConfig.defaults();
  const [compiled] = compileSpec(parseSpec(spec, '<bench>'), {
    catalog: builtinCatalog(),
    context: { config, nodeName: 'bench', allowExec, logger },
  });
  const node = new LogicalNode(compiled!, logger);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let warm: { t: bigint; events: number } | undefined;
  const sample = setTimeout(() => {
    warm = { t: process.hrtime.bigint(), events: node.events };
  }, 1000);
  await node.start();
  clearTimeout(sample);
  const end = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  const seconds = Number(end - t0) / 1e9;
  if (node.state !== 'IDLE') throw new Error(`bench node ended ${node.state}: ${node.error?.oneLine()}`);
  const steadyRate = warm
    ? (node.events - warm.events) / (Number(end - warm.t) / 1e9)
    : node.events / seconds;
  return { events: node.events, seconds, steadyRate, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/**
 * Runs a spec in a fresh process, so every measurement starts from the same JIT state: in one
 * process the code optimised for an earlier benchmark's event shapes slows the next one by up to 2x.
 */
export function runSpecInChild(spec: string): Promise<SpecRun> {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', new URL('./run-spec.ts', import.meta.url).pathname, spec],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return Promise.resolve(JSON.parse(out.trim().split('\n').pop()!) as SpecRun);
}

/** Best of n runs (the least disturbed by the other core's work), and every run. */
export async function bestOf<T extends { seconds: number }>(
  n: number,
  f: () => Promise<T>,
): Promise<T & { runs: T[] }> {
  const runs: T[] = [];
  for (let i = 0; i < n; i++) runs.push(await f());
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...best, runs };
}

/** CPU nanoseconds per event, the median over the runs (steadier than the rate on a shared machine). */
export function cpuPerEvent(runs: SpecRun[]): number {
  const ns = runs.map((r) => (r.cpuSeconds * 1e9) / r.events).sort((a, b) => a - b);
  return ns[ns.length >> 1]!;
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
