import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../core/errors.js';

/**
 * One writer per log directory: two writers appending to the same segment would interleave records
 * and corrupt each other. The lock file holds the owner's pid; a lock left by a process that no longer
 * runs (SIGKILL, power loss) is taken over, which is what makes crash recovery automatic.
 */
const held = new Set<string>();

export const LOCK_FILE = 'in_use.lock';

export function lockDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  if (held.has(path)) {
    throw new SluiceError('SLUICE_STORAGE', `log directory ${dir} is already open in this process`, {
      place: { file: dir },
    });
  }
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new SluiceError('SLUICE_STORAGE', `log directory ${dir} is in use by process ${owner}`, {
        place: { file: path },
      });
    }
    writeFileSync(path, String(process.pid));
  }
  held.add(path);
  return () => {
    if (!held.delete(path)) return;
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
