// Child process of bench/core.ts compareWith: runs one spec with the code of another checkout (argv[2],
// its npm ci done) and prints {"events","seconds","cpuSeconds"}, measured here rather than by that
// checkout's own harness, so both sides of a comparison are measured the same way.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, spec] = process.argv.slice(2) as [string, string];
const load = (path: string) => import(pathToFileURL(join(dir, 'src', path)).href);
const { SiteConfig } = await load('core/config.ts');
const { memoryLogger } = await load('core/logger.ts');
const { builtinCatalog } = await load('flow/builtins.ts');
const { compileSpec } = await load('flow/compile.ts');
const { LogicalNode } = await load('flow/logical-node.ts');
const { parseSpec } = await load('spec/parser.ts');

const logger = memoryLogger();
const [compiled] = compileSpec(parseSpec(spec, '<bench>'), {
  catalog: builtinCatalog(),
  context: { config: SiteConfig.defaults(), nodeName: 'bench', allowExec: false, logger },
});
const node = new LogicalNode(compiled, logger);
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await node.start();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
if (node.state !== 'IDLE') throw new Error(`bench node ended ${node.state}`);
process.stdout.write(
  `${JSON.stringify({ events: node.events, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`,
);
