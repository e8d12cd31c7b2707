import { readFileSync } from 'node:fs';
import { ioError } from '../core/errors.js';
import { AgentHost } from '../node/agent-host.js';
import { optString, UsageError } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';
import { checkHttpOptions, HTTP_OPTIONS, serveStatus } from './http-options.js';
import { RELOAD_OPTIONS, reloadFromFile } from './reload.js';
import { exitStatus } from './run-nodes.js';
import { ALLOW_EXEC, CONF, FILE, NAME } from './vocabulary.js';

/** `sluice agent -f FILE -n AGENT`: a Flume NG agent, until SIGINT or SIGTERM. */
export const agentCommand: Command = {
  name: 'agent',
  synopsis: '-f FILE -n AGENT [options]',
  description: [
    'Runs agent AGENT of a Flume NG properties file (a1.sources = r1 ...) until Ctrl-C or SIGTERM,',
    "then stops it cleanly. --check only checks the file. Flume's spellings work: --conf-file FILE,",
    '--name AGENT, -c/--conf DIR. The file is reloaded when it changes (checked every 30 s, as Flume',
    'NG does) and on SIGHUP: unchanged components keep running, changed ones are replaced without',
    'losing an event; a file with an error is refused and the running configuration stays.',
  ].join('\n'),
  options: [
    { ...FILE, help: 'the agent properties file (a1.sources = r1 ...)', aliases: ['--conf-file'] },
    { ...NAME, value: 'AGENT', help: 'the agent to run (the prefix of its keys)' },
    CONF,
    { name: 'check', flag: true, help: 'check the file and exit without starting anything' },
    ALLOW_EXEC,
    ...RELOAD_OPTIONS,
    ...HTTP_OPTIONS,
  ],
  positionals: { min: 0, max: 0 },
  async run(p) {
    const file = optString(p, 'file');
    const name = optString(p, 'name');
    if (!file || !name) throw new UsageError('give the agent file with -f FILE and the agent with -n AGENT');
    checkHttpOptions(p);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw ioError(e, `cannot read agent file ${file}`);
    }
    const env = await loadEnv({
      confDir: optString(p, 'conf'),
      allowExec: p.options.has('allow-exec'),
      nodeName: name,
    });
    const host = new AgentHost(name, env.catalog, env.context);
    const config = { text, file };
    if (p.options.has('check')) {
      const c = host.check(config).conf;
      process.stdout.write(
        `${file}: agent ${name} ok (${c.sources.length} sources, ${c.channels.length} channels, ${c.sinks.length} sinks, ${c.sinkgroups.length} sink groups)\n`,
      );
      return 0;
    }
    // Served before the start, so a taken port fails the command before anything runs.
    const web = await serveStatus(p, {
      host,
      runs: 'agent',
      node: name,
      config: env.config,
      logger: env.logger,
    });
    try {
      await host.start(config);
    } catch (e) {
      await web?.close();
      throw e;
    }
    env.logger.info(`agent ${name} started`);
    const watch = reloadFromFile(p, file, text, host, env.logger);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        env.logger.info(`${sig}: stopping agent ${name}`);
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    watch.stop();
    await host.stop();
    await web?.close();
    return exitStatus(host.faults());
  },
};
