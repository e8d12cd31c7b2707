import type { Command } from './command.js';

/**
 * Every command of the `sluice` binary, in the order `sluice help` lists them. Each is imported
 * only when run (or its help is asked for), so `sluice help` and `sluice validate` do not load
 * the agent runtime, the RPC stack or the demo.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary:
      'run flows end to end on embedded defaults (local, agent -> collector, agent file) and check them',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'node',
    summary: 'run the logical nodes of a spec: sluice node -1 -e \'n1 : text("in") | text("out") ;\'',
    load: async () => (await import('./node.js')).nodeCommand,
  },
  {
    name: 'master',
    summary: 'run a master that configures and watches nodes: sluice master',
    load: async () => (await import('./master.js')).masterCommand,
  },
  {
    name: 'shell',
    summary: "send commands to a master: sluice shell -c localhost:35873 -e 'getnodestatus'",
    load: async () => (await import('./shell.js')).shellCommand,
  },
  {
    name: 'agent',
    summary: 'run a Flume NG agent: sluice agent -f a1.conf -n a1',
    load: async () => (await import('./agent.js')).agentCommand,
  },
  {
    name: 'top',
    summary:
      "watch a node's components live (events, bytes, errors and their rates): sluice top 127.0.0.1:35862",
    load: async () => (await import('./top.js')).topCommand,
  },
  {
    name: 'dump',
    summary: "print a source's events on stdout: sluice dump 'text(\"/etc/services\")'",
    load: async () => (await import('./dump.js')).dumpCommand,
  },
  {
    name: 'validate',
    summary: 'check dataflow specs without running them: sluice validate FILE... | -e SPEC',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  {
    name: 'help',
    summary: "this list, a command's options (sluice help node), or the catalog (sluice help components)",
    load: async () => (await import('./help.js')).helpCommand,
  },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
