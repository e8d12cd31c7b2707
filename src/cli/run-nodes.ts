import { asSluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CompiledNode } from '../flow/compile.js';
import { NodeManager } from '../flow/node-manager.js';

/**
 * Runs logical nodes in this process until every finite source drained (or SIGINT/SIGTERM asked for
 * a clean close), then returns the exit status: 0 when every node ended IDLE with nothing lost, 1 if
 * any ended in ERROR (a fatal fault: each node already logged its one line) or failed batches (its
 * summary line counted them). `reloading` (the spec file watched for changes) ends with the nodes.
 */
export async function runNodes(
  nodes: CompiledNode[],
  logger: Logger,
  manager = new NodeManager(logger),
  reloading?: () => { stop(): void },
): Promise<number> {
  let signalled = false;
  let watch: { stop(): void } | undefined;
  const onSignal = (sig: string) => {
    if (signalled) return;
    signalled = true;
    watch?.stop();
    logger.info(`${sig}: closing ${manager.list().length} node(s)`);
    manager.stopAll().catch((e: unknown) => logger.error(asSluiceError(e).oneLine()));
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    await manager.reconfigure(nodes);
    watch = reloading?.();
    await manager.settled();
  } finally {
    watch?.stop();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  return manager.list().some((n) => n.state === 'ERROR' || n.failed > 0) ? 1 : 0;
}
