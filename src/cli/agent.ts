import { readFileSync } from 'node:fs';
import { ioError, SluiceError } from '../core/errors.js';
import { Agent } from '../flow/agent/agent.js';
import { builtinAgentCatalog } from '../flow/agent/catalog.js';
import { type OptionSpec, optString, parseArgs, usage } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';

const OPTIONS: OptionSpec[] = [
  { name: 'conf-file', short: 'f', help: 'the agent properties file (a1.sources = r1 ...)' },
  { name: 'name', short: 'n', help: 'the agent to run (the prefix of its keys)' },
  { name: 'conf', short: 'c', help: 'configuration directory holding flume-site.xml' },
  { name: 'check', flag: true, help: 'check the file and exit without starting anything' },
  { name: 'allow-exec', flag: true, help: 'allow exec sources' },
  { name: 'help', short: 'h', flag: true, help: 'show this help' },
];

/** `sluice agent --conf-file FILE --name AGENT`: a Flume NG agent, until SIGINT or SIGTERM. */
export const agentCommand: Command = {
  name: 'agent',
  summary: 'run a Flume NG agent: sluice agent --conf-file a1.conf --name a1',
  async run(argv) {
    const p = parseArgs('agent', argv, OPTIONS);
    if (p.options.has('help')) {
      process.stdout.write(`${usage('agent', '--conf-file FILE --name AGENT [options]', OPTIONS)}\n`);
      return 0;
    }
    const file = optString(p, 'conf-file');
    const name = optString(p, 'name');
    if (!file || !name)
      throw new SluiceError('SLUICE_CONFIG', 'sluice agent needs --conf-file FILE and --name AGENT');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw ioError(e, `cannot read agent file ${file}`);
    }
    const env = loadEnv({
      confDir: optString(p, 'conf'),
      allowExec: p.options.has('allow-exec'),
      nodeName: name,
    });
    const agent = Agent.fromText(text, file, name, builtinAgentCatalog(), env.context);
    if (p.options.has('check')) {
      const c = agent.conf;
      process.stdout.write(
        `${file}: agent ${name} ok (${c.sources.length} sources, ${c.channels.length} channels, ${c.sinks.length} sinks, ${c.sinkgroups.length} sink groups)\n`,
      );
      return 0;
    }
    await agent.start();
    env.logger.info(`agent ${name} started`);
    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        env.logger.info(`${sig}: stopping agent ${name}`);
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await agent.stop();
    const failed = agent.totals().sources.filter((s) => s.state === 'ERROR');
    return failed.length > 0 ? 1 : 0;
  },
};
