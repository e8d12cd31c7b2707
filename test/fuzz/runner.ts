import { Worker } from 'node:worker_threads';
import type { Finding, LoopOptions, LoopResult } from './loop.js';

/**
 * Runs one target in a worker thread and watches it: an input that runs longer than `inputTimeoutMs`
 * is a hang (the worker is stopped), a worker that runs out of its heap is a memory finding.
 */
export interface FuzzOptions extends Partial<LoopOptions> {
  seed: number;
  runs: number;
  timeMs: number;
  /** One input may take this long before it counts as a hang. */
  inputTimeoutMs?: number;
  /** URL of the module whose TARGETS holds `name` (default: targets/index.ts). */
  targets?: string;
  /** Called about once a second with the inputs run so far. */
  onProgress?: (inputs: number, ms: number) => void;
}

export interface FuzzReport extends LoopResult {
  target: string;
  seed: number;
}

const WORKER = new URL('./worker.mjs', import.meta.url);
const ENTRY = new URL('./worker.ts', import.meta.url).href;
const TARGETS = new URL('./targets/index.ts', import.meta.url).href;

export function fuzzTarget(name: string, options: FuzzOptions): Promise<FuzzReport> {
  const opts: LoopOptions = {
    seed: options.seed >>> 0,
    start: options.start ?? 0,
    runs: options.runs,
    timeMs: options.timeMs,
    maxMemoryGrowthMb: options.maxMemoryGrowthMb ?? 256,
    maxFindings: options.maxFindings ?? 20,
  };
  const inputTimeoutMs = options.inputTimeoutMs ?? 5000;
  const shared = new SharedArrayBuffer(8);
  const counters = new Int32Array(shared);
  const started = Date.now();
  const worker = new Worker(WORKER, {
    workerData: { entry: ENTRY, name, targets: options.targets ?? TARGETS, opts, shared },
    // Past this the worker dies with ERR_WORKER_OUT_OF_MEMORY instead of taking the process with it.
    resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryGrowthMb * 2 + 256 },
  });
  return new Promise<FuzzReport>((resolve, reject) => {
    let lastTick = -1;
    let lastTickAt = Date.now();
    let lastProgress = Date.now();
    let settled = false;
    const finish = (result: LoopResult) => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      resolve({ target: name, seed: opts.seed, ...result });
    };
    const abort = (kind: Finding['kind'], message: string) => {
      const index = Atomics.load(counters, 0);
      void worker.terminate();
      finish({
        inputs: index - opts.start,
        ms: Date.now() - started,
        values: 0,
        errors: 0,
        findings: [
          {
            kind,
            index,
            count: 1,
            signature: `${kind}: ${message}`,
            message,
            stack: undefined,
            inputLength: -1,
            inputHead: '',
          },
        ],
      });
    };
    const watchdog = setInterval(() => {
      const tick = Atomics.load(counters, 1);
      const now = Date.now();
      if (tick !== lastTick) {
        lastTick = tick;
        lastTickAt = now;
      } else if (tick > 0 && now - lastTickAt > inputTimeoutMs) {
        abort('hang', `input ${Atomics.load(counters, 0)} ran for more than ${inputTimeoutMs} ms`);
      }
      if (options.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        options.onProgress(Atomics.load(counters, 0) - opts.start, now - started);
      }
    }, 50);
    worker.on('message', (m: LoopResult) => {
      finish(m);
      void worker.terminate();
    });
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') abort('memory', `worker ran out of memory: ${e.message}`);
      else if (settled) return;
      else abort('crash', `worker failed: ${e.stack ?? e.message}`);
    });
    worker.on('exit', (code) => {
      if (!settled) {
        clearInterval(watchdog);
        settled = true;
        reject(new Error(`fuzz worker for ${name} exited with code ${code} before reporting`));
      }
    });
  });
}

/** The command that replays one input of a report. */
export function replayCommand(report: { target: string; seed: number }, index: number): string {
  return `npm run fuzz -- ${report.target} --seed ${report.seed} --index ${index}`;
}

/** A report as the lines a person reads: totals, then each finding with its replay command. */
export function formatReport(r: FuzzReport): string {
  const rate = r.ms > 0 ? Math.round((r.inputs / r.ms) * 1000) : 0;
  const lines = [
    `${r.target}: ${r.inputs} inputs in ${(r.ms / 1000).toFixed(1)} s (${rate}/s), seed ${r.seed}: ` +
      `${r.values} values, ${r.errors} typed errors, ${r.findings.length} findings`,
  ];
  for (const f of r.findings) {
    lines.push(`  ${f.kind} x${f.count} first at input ${f.index}: ${f.message.split('\n')[0]}`);
    lines.push(`    replay: ${replayCommand(r, f.index)}`);
    if (f.stack)
      lines.push(
        ...f.stack
          .split('\n')
          .slice(1, 6)
          .map((l) => `    ${l.trim()}`),
      );
  }
  return lines.join('\n');
}
