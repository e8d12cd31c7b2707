/**
 * A tiny leveled logger writing one line per message to stderr (stdout belongs to console sinks and
 * `sluice dump`). Tests pass a collecting logger to assert on warnings.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(prefix: string): Logger;
}

export function createLogger(
  level: LogLevel = (process.env.SLUICE_LOG_LEVEL as LogLevel) || 'info',
  prefix = '',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const min = ORDER[level] ?? 1;
  const emit = (lvl: LogLevel, msg: string) => {
    if (ORDER[lvl] < min) return;
    write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${prefix ? `${prefix}: ` : ''}${msg}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (p) => createLogger(level, prefix ? `${prefix}/${p}` : p, write),
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
