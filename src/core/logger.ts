import { createRequire } from 'node:module';
import type { Logger as PinoLogger } from 'pino';

/**
 * A leveled logger writing one line per message to stderr (stdout belongs to console sinks and
 * `sluice dump`), as text or as one JSON object per line. Tests pass a collecting logger to assert
 * on warnings.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(prefix: string): Logger;
}

export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
}

let configured: Partial<LogSettings> = {};

/** The process's log settings: what `configureLogging` set, else $SLUICE_LOG_LEVEL / $SLUICE_LOG_FORMAT. */
export function logSettings(): LogSettings {
  const envLevel = process.env.SLUICE_LOG_LEVEL as LogLevel | undefined;
  const envFormat = process.env.SLUICE_LOG_FORMAT as LogFormat | undefined;
  return {
    level: configured.level ?? (envLevel && envLevel in ORDER ? envLevel : 'info'),
    format: configured.format ?? (envFormat && LOG_FORMATS.includes(envFormat) ? envFormat : 'text'),
  };
}

/** Sets the level and format of every logger created afterwards (the CLI's --log-level, --log-format). */
export function configureLogging(settings: Partial<LogSettings>): void {
  configured = { ...configured, ...settings };
}

/**
 * A logger at `level` whose lines carry `prefix` (the component). With an explicit `write` the lines
 * are text; otherwise the configured format decides.
 */
export function createLogger(
  level: LogLevel = logSettings().level,
  prefix = '',
  write?: (line: string) => void,
): Logger {
  if (write === undefined && logSettings().format === 'json') return jsonLogger(level, prefix);
  const out = write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const min = ORDER[level] ?? 1;
  const emit = (lvl: LogLevel, msg: string) => {
    if (ORDER[lvl] < min) return;
    out(`${new Date().toISOString()} ${lvl.toUpperCase()} ${prefix ? `${prefix}: ` : ''}${msg}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (p) => createLogger(level, prefix ? `${prefix}/${p}` : p, write),
  };
}

let pinoRoot: PinoLogger | undefined;

/**
 * JSON lines through pino: {"level":"warn","time":"<ISO>","pid":..,"hostname":..,"component":..,"msg":..}.
 * pino is loaded on first use only, so text logging (the default) does not pay for it at start-up.
 * The destination writes synchronously, so the last line before an exit is never lost.
 */
function jsonLogger(level: LogLevel, prefix: string): Logger {
  if (!pinoRoot) {
    const pino = (createRequire(import.meta.url)('pino') as typeof import('pino')).pino;
    pinoRoot = pino(
      {
        level: 'debug',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      pino.destination({ dest: 2, sync: true }),
    );
  }
  const p = prefix ? pinoRoot.child({ component: prefix }) : pinoRoot;
  const min = ORDER[level] ?? 1;
  return {
    debug: (m) => (min <= 0 ? p.debug(m) : undefined),
    info: (m) => (min <= 1 ? p.info(m) : undefined),
    warn: (m) => (min <= 2 ? p.warn(m) : undefined),
    error: (m) => p.error(m),
    child: (c) => jsonLogger(level, prefix ? `${prefix}/${c}` : c),
  };
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (prefix: string): Logger => {
    const emit = (lvl: string) => (m: string) => lines.push(`${lvl} ${prefix ? `${prefix}: ` : ''}${m}`);
    return {
      debug: emit('DEBUG'),
      info: emit('INFO'),
      warn: emit('WARN'),
      error: emit('ERROR'),
      child: (p) => make(prefix ? `${prefix}/${p}` : p),
    };
  };
  return Object.assign(make(''), { lines });
}
