import { renderComponentsText } from '../catalog/docs.js';
import { builtinCatalog } from '../flow/builtins.js';
import { SPECIAL_SINKS } from '../flow/special.js';
import type { Command } from './command.js';

/** `sluice help components`: the catalog, one line per component, generated like docs/components.md. */
export const helpCommand: Command = {
  name: 'help',
  summary: 'sluice help components: list every source, sink and decorator',
  async run(argv) {
    if (argv[0] === 'components') {
      process.stdout.write(renderComponentsText(builtinCatalog(), SPECIAL_SINKS));
      return 0;
    }
    process.stderr.write(`sluice help: unknown topic "${argv[0]}" (topics: components)\n`);
    return 2;
  },
};
