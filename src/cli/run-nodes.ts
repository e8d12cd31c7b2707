import { asSluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CompiledNode } from '../flow/compile.js';
import type { PipelineConfig } from '../node/host.js';
import type { SpecHost } from '../node/spec-host.js';

/**
 * The exit status of a run, the same rule for `sluice node` and `sluice agent` (docs/cli.md): 1 when
 * anything read did not make it (a component ended in ERROR, a batch failed, a sink dropped events,
 * events were left in a memory channel), else 0. A script that runs a finite flow reads status 0 as
 * "every event arrived"; a failed batch counts even when its source may send it again, since the
 * runner cannot know that it will.
 */
export function exitStatus(faults: readonly string[]): number {
  return faults.length > 0 ? 1 : 0;
}

/**
 * Runs logical nodes through `host` (so under its site limits) until every finite source drained (or
 * SIGINT/SIGTERM asked for a clean close), then returns the exit status (`exitStatus`; each node
 * already logged its summary line). `first` is a spec to check and start, or nodes already compiled.
 * `reloading` (the spec file watched for changes) ends with the nodes.
 */
export async function runNodes(
  host: SpecHost,
  first: PipelineConfig | readonly CompiledNode[],
  logger: Logger,
  reloading?: () => { stop(): void },
): Promise<number> {
  let signalled = false;
  let watch: { stop(): void } | undefined;
  const onSignal = (sig: string) => {
    if (signalled) return;
    signalled = true;
    watch?.stop();
    logger.info(`${sig}: closing ${host.manager.list().length} node(s)`);
    host.stop().catch((e: unknown) => logger.error(asSluiceError(e).oneLine()));
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    if (Array.isArray(first)) await host.apply(first as readonly CompiledNode[]);
    else await host.start(first as PipelineConfig);
    watch = reloading?.();
    await host.settled();
  } finally {
    watch?.stop();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  return exitStatus(host.faults());
}
