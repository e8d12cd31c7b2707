// Shared pieces of the streaming input tests: one agent file shape (a seq or spooldir source, a memory
// channel, an avro sink or a SparkSink), the log aggregator example as a child process, and its JSON counts.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from '../../src/flow/agent/agent.js';
import { builtinAgentCatalog } from '../../src/flow/agent/catalog.js';
import { testContext } from '../mocks/sinks.js';

const ROOT = join(import.meta.dirname, '..', '..');

export interface AgentPlan {
  /** seq: that many numbered events; spool: a spooling directory. */
  source: { seq: number; batchSize?: number } | { spool: string };
  /** avro: push to that port; spark: a SparkSink listening there. */
  sink: { avro: number } | { spark: number };
  capacity?: number;
  transactionCapacity?: number;
  /** More properties, e.g. `a1.sinks.k1.timeout = 2`. */
  extra?: string[];
}

/** The properties of agent `a1` for `plan`. */
export function agentText(plan: AgentPlan): string {
  const src = plan.source;
  const sink = plan.sink;
  return [
    'a1.sources = r1',
    'a1.channels = c1',
    'a1.sinks = k1',
    ...('seq' in src
      ? [
          'a1.sources.r1.type = seq',
          `a1.sources.r1.totalEvents = ${src.seq}`,
          `a1.sources.r1.batchSize = ${src.batchSize ?? 50}`,
        ]
      : [
          'a1.sources.r1.type = spooldir',
          `a1.sources.r1.spoolDir = ${src.spool}`,
          'a1.sources.r1.pollDelay = 50',
        ]),
    'a1.sources.r1.channels = c1',
    'a1.channels.c1.type = memory',
    `a1.channels.c1.capacity = ${plan.capacity ?? 10_000}`,
    `a1.channels.c1.transactionCapacity = ${plan.transactionCapacity ?? 100}`,
    'a1.sinks.k1.hostname = 127.0.0.1',
    'a1.sinks.k1.channel = c1',
    ...('avro' in sink
      ? ['a1.sinks.k1.type = avro', `a1.sinks.k1.port = ${sink.avro}`]
      : [
          'a1.sinks.k1.type = org.apache.spark.streaming.flume.sink.SparkSink',
          `a1.sinks.k1.port = ${sink.spark}`,
          'a1.sinks.k1.backoffInterval = 20',
        ]),
    ...(plan.extra ?? []),
  ].join('\n');
}

/** An agent built from `text` (not started), stopped by `cleanup` at the end of the file. */
export function testAgent(text: string, cleanup: (() => Promise<unknown>)[], file = 'test.conf'): Agent {
  const agent = Agent.fromText(text, file, 'a1', builtinAgentCatalog(), testContext({ nodeName: 'a1' }));
  cleanup.push(() => agent.stop());
  return agent;
}

/** `npx tsx examples/<script> ARGS` from the repository root; killed by `cleanup` if still running. */
export function exampleProcess(
  script: string,
  args: string[],
  cleanup: (() => Promise<unknown>)[],
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${script}`, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return child;
}

/**
 * The complete lines of the aggregator's --json file: what follows the last newline may be a line
 * still being written, which the test must not catch half way.
 */
export function jsonLines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l !== '');
}

/** The URL counts of the last slide the aggregator wrote to its --json file (empty before the first). */
export function lastCounts(file: string): Map<string, number> {
  const last = jsonLines(file).at(-1);
  return new Map(last ? (JSON.parse(last) as { counts: [string, number][] }).counts : []);
}
