// Child process of bench/harness.ts runSpecInChild: runs one spec and prints {"events","seconds"}.
import { runSpec } from './harness.js';

const r = await runSpec(process.argv[2]!);
process.stdout.write(`${JSON.stringify(r)}\n`);
