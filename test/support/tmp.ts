/**
 * Temporary directories for tests, removed when the test that asked for one ends (given its context)
 * or when the test file's process exits, whichever comes first, so a full run leaves nothing in /tmp.
 * A process killed by the runner's timeout cannot clean up; everything else does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
let hooked = false;

function remove(dir: string): void {
  made.delete(dir);
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * A new directory `$TMPDIR/sluice-<prefix>-XXXXXX`. With a test context it goes when that test ends;
 * without one (a file-level directory) when the process exits.
 */
export function tempDir(prefix: string, t?: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    // 'exit' handlers must be synchronous: rmSync is.
    process.on('exit', () => {
      for (const d of [...made]) remove(d);
    });
  }
  t?.after(() => remove(dir));
  return dir;
}
