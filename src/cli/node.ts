import { SpecHost } from '../node/spec-host.js';
import { optString, UsageError } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';
import { checkHttpOptions, HTTP_OPTIONS, serveStatus } from './http-options.js';
import { RELOAD_OPTIONS, reloadFromFile } from './reload.js';
import { runNodes } from './run-nodes.js';
import { oneSpec } from './spec-input.js';
import { ALLOW_EXEC, CONF, FILE, MASTER_TLS_CLIENT, NAME, SPEC, TOKEN_FILE } from './vocabulary.js';

/**
 * `sluice node -1 -e 'SPEC'`: runs logical nodes in this process until their finite sources drain
 * (endless ones until Ctrl-C or SIGTERM, then a clean close that flushes every sink).
 */
export const nodeCommand: Command = {
  name: 'node',
  synopsis: "-1 (-e 'SPEC' | -f FILE) [-n NAME] [options] | [-n NAME] [--master HOST:PORT]",
  description: [
    'Runs the logical nodes of a spec in this process, with no master (-1). Ends with status 0 once',
    'every finite source drained and everything read was delivered, 1 if a node failed, a batch failed',
    'or a sink dropped events; Ctrl-C or SIGTERM closes every node cleanly, flushing its sinks. `-c SPEC`, the old spelling of -e, still works with a warning.',
    'A spec read from a file is reloaded when the file changes and on SIGHUP: nodes whose spec did',
    'not change keep running, changed ones are drained and replaced (docs/node-host.md).',
    'Without -1 the node joins a master: it heartbeats and runs the logical nodes the master gives',
    'it, reconfigured live (docs/master.md).',
  ].join('\n'),
  options: [
    {
      name: 'one-shot',
      short: '1',
      flag: true,
      help: 'run the spec locally with no master (without -1 the node joins a master)',
    },
    // -c is Flume OG's spelling of the spec, so here it stays the deprecated -e until users moved;
    // everywhere else -c is --conf DIR, Flume NG's meaning, which node takes spelled out only.
    { ...SPEC, deprecated: ['-c', '--config'] },
    FILE,
    { ...NAME, help: 'run only this logical node of the spec' },
    { ...CONF, short: undefined },
    ALLOW_EXEC,
    ...RELOAD_OPTIONS,
    {
      name: 'master',
      value: 'HOST:PORT,...',
      help: 'without -1: the masters to heartbeat to, the next when one does not answer (default: flume.master.servers, flume.master.heartbeat.port)',
    },
    TOKEN_FILE,
    ...MASTER_TLS_CLIENT,
    ...HTTP_OPTIONS,
  ],
  positionals: { min: 0, max: 1 },
  async run(p) {
    checkHttpOptions(p);
    if (!p.options.has('one-shot')) {
      if (p.options.has('spec') || p.options.has('file') || p.positionals.length > 0)
        throw new UsageError('without -1 the node joins a master and gets its spec from it: a spec needs -1');
      return (await import('./node-master.js')).joinMaster(p);
    }
    const input = oneSpec(p);
    const only = optString(p, 'name');
    const env = await loadEnv({ confDir: optString(p, 'conf'), allowExec: p.options.has('allow-exec') });
    const host = new SpecHost({ catalog: env.catalog, context: env.context, logger: env.logger, only });
    const config = { text: input.read(), file: input.file };
    const fromFile = input.file !== '<spec>';
    const web = await serveStatus(p, { host, runs: 'logical-nodes', config: env.config, logger: env.logger });
    try {
      // The first start goes through the host as reloads do: the nodes run under its site limits.
      return await runNodes(
        host,
        config,
        env.logger,
        fromFile ? () => reloadFromFile(p, config.file, config.text, host, env.logger) : undefined,
      );
    } finally {
      await web?.close();
    }
  },
};
