import { accessSync, constants, mkdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { SiteConfig } from '../core/config.js';
import { ioError, SluiceError } from '../core/errors.js';
import { confineValue } from '../core/escapes.js';
import type { Logger } from '../core/logger.js';

/** What a node keeps under `flume.agent.logdir/<node>/`: the end-to-end write-ahead log or the disk-failover spill. */
export type AgentLogPurpose = 'writeahead' | 'dfo';

const warnedTmp = new Set<string>();

/**
 * The directory of one logical node's agent log, created when missing and checked writable, so a
 * log directory that cannot work stops the component at start with its path in the error instead of
 * failing the first batch. The node name comes from the user's configuration but is confined like
 * any value entering a path, so a node called `../x` stays under the log directory.
 */
export function agentLogDir(
  config: SiteConfig,
  node: string,
  purpose: AgentLogPurpose,
  logger?: Logger,
): string {
  const root = resolve(config.getString('flume.agent.logdir'));
  const dir = join(root, confineValue(node), purpose);
  if ((root === '/tmp' || root.startsWith(`/tmp${sep}`)) && !warnedTmp.has(root)) {
    warnedTmp.add(root);
    logger?.warn(
      `flume.agent.logdir is ${root}, under /tmp: the OS may clean it and lose unacknowledged events; set a durable directory`,
    );
  }
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw ioError(e, `agent log directory ${dir}`, { field: 'flume.agent.logdir' });
  }
  if (!dir.startsWith(root + sep)) {
    throw new SluiceError('SLUICE_CONFIG', `agent log directory ${dir} is outside ${root}`, {
      place: { field: 'flume.agent.logdir' },
    });
  }
  return dir;
}
