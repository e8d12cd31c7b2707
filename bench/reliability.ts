/**
 * The reliability suite (`npm run bench -- reliability`), disk-failover and best-effort part; all
 * figures from one run on one machine:
 *
 *  (a) the physical limit: 100-byte writes each followed by fdatasync, on the disk of the logs;
 *  (b) the Avro hop of the net suite with the sender's sink varied: agentBESink, then agentDFOSink
 *      while its collector answers (DFO's pass-through path), 100-byte bodies;
 *  (c) agentDFOSink with its collector down: how fast it spills to its log (events/s on disk, synced
 *      per group commit);
 *  (d) the drain: an agent started on that backlog with a collector up, timed from its first event to
 *      the last one the collector received.
 *
 * `node --import tsx bench/reliability.ts` runs it alone (development; prints rows).
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeAck } from '../src/core/ack.js';
import { freePort } from '../src/core/ports.js';
import { writeSiteConf } from '../test/support/site-conf.js';
import type { Row } from './harness.js';
import { avroRun, benchCollectorSource, bestOfRuns, startSluice } from './net.js';

const SUITE = 'reliability';
const RUNS = 2;
const SIZE = 100;

export interface ReliabilityBenchOptions {
  hopEvents?: number;
  spillEvents?: number;
  runs?: number;
}

/** fdatasync calls per second after 100-byte writes, for `seconds`. */
function fsyncRate(dir: string, seconds = 2): number {
  const fd = openSync(join(dir, 'fsync-probe'), 'w');
  const buf = Buffer.alloc(SIZE, 1);
  let n = 0;
  const t0 = performance.now();
  try {
    while (performance.now() - t0 < seconds * 1000) {
      writeSync(fd, buf);
      fdatasyncSync(fd);
      n++;
    }
  } finally {
    closeSync(fd);
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Spills `events` with the collector down; seconds from start to the node's exit (start-up included). */
async function spillRun(events: number, conf: string): Promise<number> {
  const dead = await freePort();
  const t0 = performance.now();
  const node = startSluice(
    `agent : asciisynth(${events}, ${SIZE}) | agentDFOSink("127.0.0.1", ${dead}, connectTimeout=500) ;`,
    conf,
  );
  const code = await node.exited;
  // The node warns that it closes with a backlog, and with it exits 0: everything was spilled.
  if (code !== 0) throw new Error(`spilling node ended with ${code}: ${node.stderr()}`);
  return (performance.now() - t0) / 1000;
}

/** Starts an agent on the spilled backlog and times its drain into a collectorSource. */
async function drainRun(events: number, conf: string): Promise<number> {
  const src = benchCollectorSource();
  await src.open();
  // A source nobody sends to: the node only drains the backlog.
  const node = startSluice(
    `agent : avroSource(0, bind="127.0.0.1") | agentDFOSink("127.0.0.1", ${src.port}) ;`,
    conf,
  );
  try {
    let n = 0;
    let t0 = 0;
    const killer = setTimeout(() => void src.close(), 300_000);
    while (n < events) {
      const r = src.next();
      const b = r instanceof Promise ? await r : r;
      if (b === null) break;
      takeAck(b)?.ok();
      if (n === 0) t0 = performance.now();
      n += b.length;
    }
    clearTimeout(killer);
    if (n < events) throw new Error(`the drain delivered ${n} of ${events}: ${node.stderr()}`);
    return (performance.now() - t0) / 1000;
  } finally {
    await node.stop();
    await src.close();
  }
}

export async function benchReliability(opts: ReliabilityBenchOptions = {}): Promise<Row[]> {
  const runs = opts.runs ?? RUNS;
  const hopEvents = opts.hopEvents ?? 1_000_000;
  const spillEvents = opts.spillEvents ?? 300_000;
  const base = mkdtempSync(join(tmpdir(), 'sluice-bench-rel-'));
  const rows: Row[] = [];
  try {
    const fsyncs = fsyncRate(base);
    rows.push({
      suite: SUITE,
      name: 'fdatasync rate of this disk (100-byte writes)',
      value: fsyncs,
      unit: 'syncs/s',
      note: 'the physical limit of a log that syncs each group commit',
    });
    const conf = writeSiteConf(base, { 'flume.agent.logdir': join(base, 'logdir') });
    const be = await bestOfRuns(runs, () => avroRun(hopEvents, SIZE));
    const beRate = be.messages / be.seconds;
    rows.push({ suite: SUITE, name: 'BE agentBESink, Avro hop, 100 B', value: beRate, unit: 'events/s' });
    const dfo = await bestOfRuns(runs, () =>
      avroRun(hopEvents, SIZE, (port) => `agentDFOSink("127.0.0.1", ${port})`, conf),
    );
    rows.push({
      suite: SUITE,
      name: 'DFO agentDFOSink, collector up, 100 B',
      value: dfo.messages / dfo.seconds,
      unit: 'events/s',
      ratio: { against: 'BE', value: dfo.messages / dfo.seconds / beRate },
      note: 'the translation passes batches through while the collector answers',
    });
    let spillBest = Number.POSITIVE_INFINITY;
    let drainBest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < runs; i++) {
      rmSync(join(base, 'logdir'), { recursive: true, force: true });
      spillBest = Math.min(spillBest, await spillRun(spillEvents, conf));
      drainBest = Math.min(drainBest, await drainRun(spillEvents, conf));
    }
    rows.push({
      suite: SUITE,
      name: 'DFO spill, collector down, 100 B',
      value: spillEvents / spillBest,
      unit: 'events/s',
      ratio: { against: 'BE', value: spillEvents / spillBest / beRate },
      note: `${spillEvents} events to the disk-failover log, each group commit synced; process start-up included`,
    });
    rows.push({
      suite: SUITE,
      name: 'DFO drain of the backlog after a restart, 100 B',
      value: spillEvents / drainBest,
      unit: 'events/s',
      ratio: { against: 'BE', value: spillEvents / drainBest / beRate },
      note: 'oldest first, one batch at a time',
    });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchReliability()) console.log(r);
}
