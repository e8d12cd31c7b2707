import { SluiceError } from '../core/errors.js';
import { compileSpec } from '../flow/compile.js';
import { parseSpec } from '../spec/parser.js';
import { type OptionSpec, optString, parseArgs, usage } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';
import { runNodes } from './run-nodes.js';
import { specInput } from './spec-input.js';

const OPTIONS: OptionSpec[] = [
  { name: 'one-shot', short: '1', flag: true, help: 'run the spec locally with no master' },
  { name: 'config', short: 'c', help: 'the dataflow spec, e.g. \'n1 : text("f") | console ;\'' },
  { name: 'file', short: 'f', help: 'read the spec from a file instead' },
  { name: 'name', short: 'n', help: 'run only this logical node of the spec' },
  { name: 'conf', help: 'configuration directory holding flume-site.xml' },
  { name: 'allow-exec', flag: true, help: 'allow exec, execStream and execPeriodic sources' },
  { name: 'help', short: 'h', flag: true, help: 'show this help' },
];

/**
 * `sluice node -1 -c 'SPEC'`: runs logical nodes in this process until their finite sources drain
 * (endless ones until Ctrl-C or SIGTERM, then a clean close that flushes every sink).
 */
export const nodeCommand: Command = {
  name: 'node',
  summary: 'run logical nodes: sluice node -1 -c \'n1 : text("in") | text("out") ;\'',
  async run(argv) {
    const p = parseArgs('node', argv, OPTIONS);
    if (p.options.has('help')) {
      process.stdout.write(`${usage('node', "-1 -c 'SPEC' [-n NAME] [options]", OPTIONS)}\n`);
      return 0;
    }
    if (!p.options.has('one-shot'))
      throw new SluiceError(
        'SLUICE_CONFIG',
        'sluice node without -1 joins a master, which this build does not include yet; run a spec locally with -1 -c SPEC',
      );
    const { text, file } = specInput(p, 'config', p.positionals[0]);
    const only = optString(p, 'name');
    const env = loadEnv({ confDir: optString(p, 'conf'), allowExec: p.options.has('allow-exec') });
    const spec = parseSpec(text, file);
    const nodes = compileSpec(spec, { catalog: env.catalog, context: env.context, file });
    const chosen = only === undefined ? nodes : nodes.filter((n) => n.name === only);
    if (chosen.length === 0)
      throw new SluiceError(
        'SLUICE_CONFIG',
        only === undefined
          ? 'the spec defines no logical node'
          : `the spec has no node named "${only}" (it has: ${nodes.map((n) => n.name).join(', ') || 'none'})`,
      );
    return runNodes(chosen, env.logger);
  },
};
