import { resolve } from 'node:path';

/**
 * The files this process's single-file sinks (text, seqfile) have opened, oldest first (a Set keeps
 * insertion order). A later sink on one of them (a node reconfigured live, a roll() period without
 * %{rolltag}) appends instead of replacing events already delivered; only a file left from before the
 * process is replaced. Bounded: a process rolling a new name each period forgets the oldest.
 */
const writtenHere = new Set<string>();
const KEPT = 10_000;

/** Whether a sink of this process wrote `path`. */
export function wroteHere(path: string): boolean {
  return writtenHere.has(resolve(path));
}

export function rememberWritten(path: string): void {
  const file = resolve(path);
  writtenHere.delete(file);
  writtenHere.add(file);
  if (writtenHere.size > KEPT) writtenHere.delete(writtenHere.values().next().value!);
}
