import { compileSpec } from '../flow/compile.js';
import { parseSpec } from '../spec/parser.js';
import { printSpec } from '../spec/printer.js';
import { type OptionSpec, optString, parseArgs, usage } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';
import { specInput } from './spec-input.js';

const OPTIONS: OptionSpec[] = [
  { name: 'expr', short: 'e', help: 'check this spec text instead of a file' },
  { name: 'print', short: 'p', flag: true, help: 'print the spec in canonical form when it is valid' },
  { name: 'conf', help: 'configuration directory holding flume-site.xml' },
  { name: 'help', short: 'h', flag: true, help: 'show this help' },
];

/** `sluice validate FILE` / `-e 'SPEC'`: parses and checks every component and argument, runs nothing. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a dataflow spec without running it: sluice validate FILE | -e SPEC',
  async run(argv) {
    const p = parseArgs('validate', argv, OPTIONS);
    if (p.options.has('help')) {
      process.stdout.write(`${usage('validate', "FILE | -e 'SPEC'", OPTIONS)}\n`);
      return 0;
    }
    const { text, file } = specInput(p, 'expr', p.positionals[0]);
    const env = loadEnv({ confDir: optString(p, 'conf'), allowExec: true });
    const spec = parseSpec(text, file);
    const nodes = compileSpec(spec, { catalog: env.catalog, context: env.context, file });
    // Building (without opening) catches what only a builder checks: a bad regex, a format name.
    for (const n of nodes) {
      n.makeSource();
      n.makeSink();
    }
    if (p.options.has('print')) process.stdout.write(`${printSpec(spec)}\n`);
    else
      process.stdout.write(
        `${file}: ok (${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${nodes.map((n) => n.name).join(', ')})\n`,
      );
    return 0;
  },
};
