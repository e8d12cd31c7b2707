import { parentPort, workerData } from 'node:worker_threads';
import { runLoop } from './loop.js';
import type { FuzzTarget } from './target.js';

const { name, targets, opts, shared } = workerData as {
  name: string;
  /** URL of a module exporting TARGETS (the real list, or the harness's own test doubles). */
  targets: string;
  opts: Parameters<typeof runLoop>[1];
  shared: SharedArrayBuffer;
};
const list = (await import(targets)).TARGETS as readonly FuzzTarget[];
const target = list.find((t) => t.name === name);
if (!target) throw new Error(`no fuzz target ${name}`);
parentPort!.postMessage(runLoop(target, opts, new Int32Array(shared)));
