import { readFileSync } from 'node:fs';
import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Master } from './master.js';
import { formatConfigs, formatStatus } from './tables.js';

/**
 * The master's commands: their arity, usage line and what each does to the master. The Master runs
 * them one at a time through its processor; `mutates` ones are saved to the store before they succeed.
 */
export interface CommandDef {
  args: [min: number, max: number];
  usage: string;
  /** Returns the message of a command that succeeded; `mutates` commands are saved before they succeed. */
  run(m: Master, args: string[]): string;
  mutates: boolean;
}

export const COMMANDS: Record<string, CommandDef> = {
  noop: { args: [0, 1], usage: 'noop', mutates: false, run: () => 'noop' },
  config: {
    args: [3, 3],
    usage: 'config logicalnode source sink',
    mutates: true,
    run: (m, [node, source, sink]) => m.configure(node!, source!, sink!),
  },
  multiconfig: {
    args: [1, 1],
    usage: 'multiconfig flumespec',
    mutates: true,
    run: (m, [spec]) => m.multiconfig(spec!, 'multiconfig'),
  },
  unconfig: {
    args: [1, 1],
    usage: 'unconfig logicalnode',
    mutates: true,
    run: (m, [node]) => m.configure(node!, 'null', 'null'),
  },
  refresh: {
    args: [1, 1],
    usage: 'refresh logicalnode',
    mutates: true,
    run: (m, [node]) => m.refresh([node!]),
  },
  refreshAll: {
    args: [0, 0],
    usage: 'refreshAll',
    mutates: true,
    run: (m) => m.refresh(Object.keys(m.data.configs)),
  },
  save: { args: [1, 1], usage: 'save filename', mutates: false, run: (m, [file]) => m.saveTo(file!) },
  load: {
    args: [1, 1],
    usage: 'load filename',
    mutates: true,
    run: (m, [file]) => m.multiconfig(readSpecFile(m.commandFile(file!)), file!),
  },
  spawn: {
    args: [2, 3],
    usage: 'spawn physicalnode logicalnode [flowid]',
    mutates: true,
    run: (m, [physical, logical, flow]) => m.spawn(physical!, logical!, flow),
  },
  decommission: {
    args: [1, 1],
    usage: 'decommission logicalnode',
    mutates: true,
    run: (m, [node]) => m.decommission(node!),
  },
  unmap: {
    args: [2, 2],
    usage: 'unmap physicalnode logicalnode',
    mutates: true,
    run: (m, [physical, logical]) => m.unmap(physical!, logical!),
  },
  unmapAll: { args: [0, 0], usage: 'unmapAll', mutates: true, run: (m) => m.unmapAll() },
  rollback: {
    args: [1, 2],
    usage: 'rollback logicalnode [version]',
    mutates: true,
    run: (m, [node, version]) => {
      const v = version === undefined ? undefined : Number(version);
      if (v !== undefined && !Number.isInteger(v))
        throw new SluiceError('SLUICE_CONFIG', `rollback: "${version}" is not a version number`);
      return m.rollback(node!, v);
    },
  },
  rollbackAll: { args: [0, 0], usage: 'rollbackAll', mutates: true, run: (m) => m.rollbackAll() },
  getnodestatus: {
    args: [0, 0],
    usage: 'getnodestatus',
    mutates: false,
    run: (m) => formatStatus(m.nodeStatus()),
  },
  getconfigs: {
    args: [0, 0],
    usage: 'getconfigs',
    mutates: false,
    run: (m) => formatConfigs(m.configs(), { translated: m.translations(), flows: m.flows() }),
  },
};

export const MASTER_COMMANDS: readonly string[] = Object.keys(COMMANDS);

export function commandUsage(name: string): string | undefined {
  return COMMANDS[name]?.usage;
}

function readSpecFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw asSluiceError(e, 'SLUICE_IO', { file });
  }
}
