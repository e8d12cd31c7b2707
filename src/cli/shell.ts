import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SiteConfig } from '../core/config.js';
import { ioError } from '../core/errors.js';
import { MASTER_COMMANDS } from '../master/commands.js';
import { type LineResult, SHELL_COMMANDS, Shell } from '../master/shell.js';
import { masterClientTls } from '../master/tls.js';
import { readToken } from '../master/token.js';
import { optString } from './args.js';
import type { Command } from './command.js';
import { MASTER_TLS_CLIENT, TOKEN_FILE } from './vocabulary.js';

/** `sluice shell`: Flume's command shell against a master's admin port. */
export const shellCommand: Command = {
  name: 'shell',
  synopsis: '[-c HOST:PORT,...] [-e CMD] [-s SCRIPT] [-q]',
  description: [
    "Flume's command shell: connect to a master's admin port and run commands, typed (Tab completes),",
    'piped on stdin, one with -e or a script with -s. A script stops at the first command that fails',
    'or wait that times out, with exit status 1; 0 when every command succeeded. See docs/master.md.',
  ].join('\n'),
  options: [
    {
      name: 'connect',
      short: 'c',
      value: 'HOST:PORT,...',
      help: 'connect to the master at HOST:PORT (default port 35873); several masters: the next when one dies (default: flume.master.servers when set)',
    },
    { name: 'execute', short: 'e', value: 'CMD', help: 'run one command and exit' },
    { name: 'script', short: 's', value: 'SCRIPT', help: 'run the commands of the file SCRIPT and exit' },
    { name: 'quiet', short: 'q', flag: true, help: 'print only command results' },
    { name: 'conf', value: 'DIR', help: 'site configuration directory (flume.master.admin.port)' },
    TOKEN_FILE,
    ...MASTER_TLS_CLIENT,
  ],
  positionals: { min: 0, max: 0 },
  async run(p) {
    const confDir = optString(p, 'conf') ?? process.env.SLUICE_CONF_DIR;
    const config = confDir !== undefined ? SiteConfig.load(confDir) : SiteConfig.defaults();
    const shell = new Shell({
      token: readToken(optString(p, 'token-file')),
      tls: masterClientTls(config, optString(p, 'tls-ca'), p.options.has('tls')),
      defaultPort: config.getInt('flume.master.admin.port'),
      quiet: p.options.has('quiet'),
      out: (t) => process.stdout.write(`${t}\n`),
      err: (t) => process.stderr.write(`${t}\n`),
    });
    const status = (r: LineResult) => (r === 'failed' ? 1 : 0);
    // Without -c, the masters flume-site.xml names (when it names them) on the admin port.
    const target =
      optString(p, 'connect') ??
      (config.source('flume.master.servers') !== 'default'
        ? config.getList('flume.master.servers').join(',')
        : undefined);
    if (target !== undefined && (await shell.line(`connect '${target.replaceAll("'", '')}'`)) === 'failed')
      return 1;
    const one = optString(p, 'execute');
    if (one !== undefined) return status(await shell.line(one));
    const file = optString(p, 'script');
    if (file !== undefined) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw ioError(e, `reading ${file}`);
      }
      return status(await shell.script(text));
    }
    return interactive(shell, p.options.has('quiet'));
  },
};

/**
 * Lines from stdin. At a terminal a failed command is reported and the shell goes on (with Tab
 * completion); piped, the first failure ends the shell with status 1, so scripts can rely on it.
 */
async function interactive(shell: Shell, quiet: boolean): Promise<number> {
  const tty = process.stdin.isTTY === true;
  const words = [...SHELL_COMMANDS, ...MASTER_COMMANDS];
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: tty,
    completer: (line: string) => {
      const hits = words.filter((w) => w.startsWith(line.trim()));
      return [hits.length > 0 ? hits : words, line.trim()];
    },
  });
  const prompt = () => {
    if (tty && !quiet) {
      rl.setPrompt(shell.prompt);
      rl.prompt();
    }
  };
  prompt();
  try {
    for await (const line of rl) {
      const r = await shell.line(line);
      if (r === 'quit') return 0;
      if (r === 'failed' && !tty) return 1;
      prompt();
    }
  } finally {
    rl.close();
  }
  return 0;
}
