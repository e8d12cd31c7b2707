import { parentPort, workerData } from 'node:worker_threads';
import { runLoop } from './loop.js';
import { targetNamed } from './targets/index.js';

const { name, opts, shared } = workerData as {
  name: string;
  opts: Parameters<typeof runLoop>[1];
  shared: SharedArrayBuffer;
};
const result = runLoop(targetNamed(name), opts, new Int32Array(shared));
parentPort!.postMessage(result);
