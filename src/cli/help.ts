import { UsageError } from './args.js';
import type { Command } from './command.js';
import { COMMANDS, findCommand } from './commands.js';
import { commandHelp, overview } from './usage.js';

const TOPICS = ['components', ...COMMANDS.map((c) => c.name)];

/** `sluice help [TOPIC]`: the command list, one command's options, or the catalog. */
export const helpCommand: Command = {
  name: 'help',
  synopsis: '[components | COMMAND]',
  description: [
    'Without a topic, lists the commands. With a command name, shows its options (as `sluice COMMAND',
    '--help` does). `sluice help components` lists every source, sink and decorator with its arguments,',
    'generated from the catalog like docs/components.md.',
  ].join('\n'),
  options: [],
  positionals: { min: 0, max: 1 },
  async run(p) {
    const topic = p.positionals[0];
    if (topic === undefined) {
      process.stdout.write(`${overview()}\n`);
      return 0;
    }
    if (topic === 'components') {
      // The catalog is the heaviest import of all: only this topic loads it.
      const [{ renderComponentsText }, { builtinCatalog }, { SPECIAL_SINKS }] = await Promise.all([
        import('../catalog/docs.js'),
        import('../flow/builtins.js'),
        import('../flow/special.js'),
      ]);
      process.stdout.write(renderComponentsText(builtinCatalog(), SPECIAL_SINKS));
      return 0;
    }
    const entry = findCommand(topic);
    if (!entry) throw new UsageError(`unknown topic "${topic}" (topics: ${TOPICS.join(', ')})`);
    process.stdout.write(`${commandHelp(await entry.load())}\n`);
    return 0;
  },
};
