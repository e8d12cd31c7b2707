import { agentCommand } from './agent.js';
import type { Command } from './command.js';
import { demoCommand } from './demo.js';
import { dumpCommand } from './dump.js';
import { helpCommand } from './help.js';
import { nodeCommand } from './node.js';
import { validateCommand } from './validate.js';

/** Every command of the `sluice` binary, in the order `sluice help` lists them. */
export const COMMANDS: Command[] = [
  demoCommand,
  nodeCommand,
  agentCommand,
  dumpCommand,
  validateCommand,
  helpCommand,
];
