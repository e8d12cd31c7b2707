// A small tmpfs mounted for one test: a disk that fills up after `size`, or a read-only one.
// Needs root, as the development machines and CI have. Unmounted when the test ends, and at exit.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mounted = new Set<string>();
let hooked = false;

function unmount(dir: string): void {
  if (!mounted.delete(dir)) return;
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    // Still in use by a process the test has not ended yet: detach it now, freed when they exit.
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      // Already unmounted.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export interface Tmpfs {
  dir: string;
  /** Changes the size (and keeps the files): a disk that was full gets room. */
  resize(size: string): void;
}

/**
 * Mounts a tmpfs of `size` (`256k`, `1m`) on a new directory of its own (so no temporary directory of
 * the test is removed while it is still mounted). `readOnly`: `subdirs` are made first, then the
 * mount turns read-only, as a disk remounted read-only after an error.
 */
export function mountTmpfs(
  size: string,
  t?: { after(fn: () => void): void },
  readOnly?: { subdirs: string[] },
): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tmpfs-'));
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const d of [...mounted]) unmount(d);
    });
  }
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounted.add(dir);
  t?.after(() => unmount(dir));
  if (readOnly) {
    for (const d of readOnly.subdirs) mkdirSync(join(dir, d), { recursive: true });
    execFileSync('mount', ['-o', 'remount,ro', dir]);
  }
  return {
    dir,
    resize: (s) => execFileSync('mount', ['-o', `remount,size=${s}`, dir]),
  };
}
