import { LOG_FORMATS, LOG_LEVELS } from '../core/logger.js';
import type { OptionSpec } from './args.js';

/**
 * The options several commands share, defined once so a flag means the same thing in every
 * subcommand (docs/cli.md lists them). A command may reword the help of one (a spec file or an
 * agent file) but not change what the flag is.
 */

export const FILE: OptionSpec = { name: 'file', short: 'f', value: 'FILE', help: 'read the spec from FILE' };

export const SPEC: OptionSpec = {
  name: 'spec',
  short: 'e',
  value: 'SPEC',
  help: 'the dataflow spec itself, e.g. \'n1 : text("in") | console ;\'',
};

export const CONF: OptionSpec = {
  name: 'conf',
  short: 'c',
  value: 'DIR',
  help: 'site configuration directory, holding flume-site.xml',
  default: '$SLUICE_CONF_DIR, else ./conf if it exists',
};

export const NAME: OptionSpec = { name: 'name', short: 'n', value: 'NAME', help: 'the node to run' };

export const ALLOW_EXEC: OptionSpec = {
  name: 'allow-exec',
  flag: true,
  help: 'allow sources that run programs (exec, execStream, execPeriodic)',
};

export const TOKEN_FILE: OptionSpec = {
  name: 'token-file',
  value: 'FILE',
  help: "the master's shared token (first line of FILE); else $SLUICE_MASTER_TOKEN, else none",
};

/** How a node or shell reaches a master that speaks TLS (src/master/tls.ts). */
export const MASTER_TLS_CLIENT: readonly OptionSpec[] = [
  {
    name: 'tls',
    flag: true,
    help: "reach the master over HTTPS, trusting the system's authorities (flume.master.tls)",
  },
  {
    name: 'tls-ca',
    value: 'FILE',
    help: 'reach the master over HTTPS, trusting the PEM authority in FILE (flume.master.tls.ca)',
  },
];

export const HELP: OptionSpec = { name: 'help', short: 'h', flag: true, help: 'show this help' };

/** Every command takes these, after its own. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'log-level',
    value: 'LEVEL',
    choices: LOG_LEVELS,
    default: 'info, or $SLUICE_LOG_LEVEL',
    help: 'least severe log lines shown',
  },
  {
    name: 'log-format',
    value: 'FORMAT',
    choices: LOG_FORMATS,
    default: 'text, or $SLUICE_LOG_FORMAT',
    help: 'log lines on stderr as text or one JSON object per line',
  },
  HELP,
];
