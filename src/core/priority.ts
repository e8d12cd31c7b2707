/** Event priorities with Flume OG's numeric values (FATAL=0 ... TRACE=5, the Thrift enum's order). */
export enum Priority {
  FATAL = 0,
  ERROR = 1,
  WARN = 2,
  INFO = 3,
  DEBUG = 4,
  TRACE = 5,
}

export const PRIORITY_NAMES: readonly string[] = ['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'];

export function priorityName(p: Priority): string {
  return PRIORITY_NAMES[p] ?? 'INFO';
}

/** Parses a priority name (case-insensitive) or its number; undefined when it is neither. */
export function parsePriority(s: string): Priority | undefined {
  const i = PRIORITY_NAMES.indexOf(s.toUpperCase());
  if (i >= 0) return i as Priority;
  if (/^[0-5]$/.test(s)) return Number(s) as Priority;
  return undefined;
}
