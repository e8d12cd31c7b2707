// Worker threads do not inherit tsx's loader from `node --import tsx`: register it, then load the loop.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
