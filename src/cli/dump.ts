import { BoundArgs } from '../catalog/types.js';
import { compileSource } from '../flow/compile.js';
import { parseSource } from '../spec/parser.js';
import { type OptionSpec, optString, parseArgs, usage } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';
import { runNodes } from './run-nodes.js';

const OPTIONS: OptionSpec[] = [
  { name: 'format', help: 'output format of the console (default: debug)' },
  { name: 'conf', help: 'configuration directory holding flume-site.xml' },
  { name: 'allow-exec', flag: true, help: 'allow exec, execStream and execPeriodic sources' },
  { name: 'help', short: 'h', flag: true, help: 'show this help' },
];

/** `sluice dump 'SOURCE'`: Flume's `flume dump`: a source's events printed on the console. */
export const dumpCommand: Command = {
  name: 'dump',
  summary: "print a source's events on stdout: sluice dump 'text(\"/etc/services\")'",
  async run(argv) {
    const p = parseArgs('dump', argv, OPTIONS);
    if (p.options.has('help') || p.positionals.length !== 1) {
      process.stdout.write(`${usage('dump', "'SOURCE' [options]", OPTIONS)}\n`);
      return p.options.has('help') ? 0 : 2;
    }
    const env = loadEnv({
      confDir: optString(p, 'conf'),
      allowExec: p.options.has('allow-exec'),
      nodeName: 'dump',
    });
    const call = parseSource(p.positionals[0]!, '<source>');
    const makeSource = compileSource(call, { catalog: env.catalog, context: env.context, file: '<source>' });
    const consoleDef = env.catalog.lookup('sink', 'console');
    const consoleArgs = BoundArgs.of('console', { format: optString(p, 'format') ?? 'debug' });
    const makeSink = () => consoleDef.build(consoleArgs, env.context);
    makeSink(); // fails now, not mid-run, on an unknown --format
    return runNodes(
      [
        {
          name: 'dump',
          spec: {
            name: 'dump',
            source: call,
            sink: {
              type: 'call',
              call: { name: 'console', args: [], kwargs: [], parens: false, pos: call.pos },
              pos: call.pos,
            },
            pos: call.pos,
          },
          makeSource,
          makeSink,
        },
      ],
      env.logger,
    );
  },
};
