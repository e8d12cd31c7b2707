import type { Logger } from '../core/logger.js';
import { DEFAULT_RELOAD_INTERVAL_S, FileReloader } from '../node/file-reload.js';
import type { PipelineHost } from '../node/host.js';
import { type OptionSpec, optString, type ParsedArgs } from './args.js';

/** The reload options of the commands that run a configuration file (agent, node). */
export const RELOAD_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'reload-interval',
    value: 'SECONDS',
    positiveInt: true,
    default: String(DEFAULT_RELOAD_INTERVAL_S),
    help: 'how often the file is checked for changes (SIGHUP reloads it at once)',
  },
  { name: 'no-reload-conf', flag: true, help: 'do not poll the file for changes (SIGHUP still reloads it)' },
];

/**
 * Keeps `host` on the configuration in `file`: polled as the options say, and reloaded on SIGHUP. A
 * new file the host refuses is logged with its file:line error; the running configuration stays.
 */
export function reloadFromFile(
  p: ParsedArgs,
  file: string,
  initial: string,
  host: PipelineHost,
  logger: Logger,
): { stop(): void } {
  const seconds = p.options.has('no-reload-conf')
    ? 0
    : Number(optString(p, 'reload-interval') ?? DEFAULT_RELOAD_INTERVAL_S);
  const reloader = new FileReloader(file, host, { intervalMs: seconds * 1000, logger, initial });
  reloader.start();
  const onHup = () => void reloader.reload('SIGHUP');
  process.on('SIGHUP', onHup);
  return {
    stop() {
      reloader.stop();
      process.off('SIGHUP', onHup);
    },
  };
}
