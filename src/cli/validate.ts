import { compileSpec } from '../flow/compile.js';
import { translateSpec } from '../reliability/translate.js';
import type { Spec } from '../spec/ast.js';
import { parseSpec } from '../spec/parser.js';
import { printNode, printSpec } from '../spec/printer.js';
import { optString } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';
import { reportError } from './report.js';
import { specInputs } from './spec-input.js';
import { CONF, FILE, SPEC } from './vocabulary.js';

/**
 * `sluice validate FILE... | -e 'SPEC'`: parses and checks every component and argument of every
 * spec given, runs nothing. A bad spec does not stop the others being checked.
 */
export const validateCommand: Command = {
  name: 'validate',
  synopsis: "[FILE...] [-f FILE]... [-e 'SPEC'] [options]",
  description: [
    'Parses each spec and checks every component name and argument (with file, line and column),',
    'running nothing. Each spec prints `FILE: ok (...)` or its error; the status is 1 if any is bad.',
  ].join('\n'),
  options: [
    { ...SPEC, help: 'check this spec text', deprecated: ['--expr'] },
    {
      ...FILE,
      help: 'check the spec in FILE (repeatable; files may also be given as arguments)',
      repeatable: true,
    },
    { name: 'print', short: 'p', flag: true, help: 'print each valid spec in canonical form instead of ok' },
    {
      name: 'translate',
      short: 't',
      flag: true,
      help: 'print each node beside its translated form (agentDFOSink, agentBEChain ... as the sinks they compose)',
    },
    CONF,
  ],
  positionals: { min: 0, max: Number.POSITIVE_INFINITY },
  async run(p) {
    const inputs = specInputs(p);
    const env = await loadEnv({ confDir: optString(p, 'conf'), allowExec: true });
    let status = 0;
    for (const input of inputs) {
      try {
        const file = input.file;
        const spec = parseSpec(input.read(), file);
        // Shown before checking, so the rewrite of a sink that cannot be built here is still seen.
        if (p.options.has('translate'))
          process.stdout.write(showTranslations(spec, translateSpec(spec, env.config, { all: true, file })));
        const nodes = compileSpec(spec, { catalog: env.catalog, context: env.context, file });
        // Building (without opening) catches what only a builder checks: a bad regex, a format name.
        for (const n of nodes) {
          n.makeSource();
          n.makeSink();
        }
        if (p.options.has('translate')) process.stdout.write(`${file}: ok\n`);
        else if (p.options.has('print')) process.stdout.write(`${printSpec(spec)}\n`);
        else
          process.stdout.write(
            `${file}: ok (${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${nodes.map((n) => n.name).join(', ')})\n`,
          );
      } catch (e) {
        status = Math.max(status, reportError('validate', e));
      }
    }
    return status;
  },
};

/** Each node as written, and under it its translation when one of its sinks is a composition. */
function showTranslations(spec: Spec, translated: Spec): string {
  let out = '';
  spec.nodes.forEach((n, i) => {
    const before = printNode(n);
    const after = printNode(translated.nodes[i]!);
    out += `${before}\n`;
    if (after !== before) out += `  => ${after}\n`;
  });
  return out;
}
