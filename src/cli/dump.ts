import { BoundArgs } from '../catalog/types.js';
import { compileSource } from '../flow/compile.js';
import { FORMAT_ALIASES, FORMATS } from '../formats/index.js';
import { SpecHost } from '../node/spec-host.js';
import { parseSource } from '../spec/parser.js';
import { optString } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';
import { runNodes } from './run-nodes.js';
import { ALLOW_EXEC, CONF } from './vocabulary.js';

/** `sluice dump 'SOURCE'`: Flume's `flume dump`: a source's events printed on the console. */
export const dumpCommand: Command = {
  name: 'dump',
  synopsis: "'SOURCE' [options]",
  description: [
    "Prints a source's events on stdout (Flume's `flume dump`) until the source drains, or Ctrl-C.",
    'A reader that closes stdout early (`| head`) ends the command quietly with status 0.',
  ].join('\n'),
  options: [
    {
      name: 'format',
      value: 'FORMAT',
      choices: [...FORMATS.map((f) => f.name), ...Object.keys(FORMAT_ALIASES)],
      default: 'debug',
      help: 'output format of the events',
    },
    CONF,
    ALLOW_EXEC,
  ],
  positionals: { min: 1, max: 1 },
  async run(p) {
    const env = await loadEnv({
      confDir: optString(p, 'conf'),
      allowExec: p.options.has('allow-exec'),
      nodeName: 'dump',
    });
    const call = parseSource(p.positionals[0]!, '<source>');
    const makeSource = compileSource(call, { catalog: env.catalog, context: env.context, file: '<source>' });
    const consoleDef = env.catalog.lookup('sink', 'console');
    const consoleArgs = BoundArgs.of('console', { format: optString(p, 'format') ?? 'debug' });
    const makeSink = () => consoleDef.build(consoleArgs, env.context);
    // Through a node host like every pipeline: the node runs under this site's limits.
    const host = new SpecHost({ catalog: env.catalog, context: env.context, logger: env.logger });
    return runNodes(
      host,
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
