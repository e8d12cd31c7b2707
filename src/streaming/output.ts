import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ioError } from '../core/errors.js';
import { formatRecord } from './print.js';

/**
 * saveAsTextFiles: a batch becomes the directory `<prefix>-<time>[.<suffix>]` with `part-00000` (one line
 * per record) and `_SUCCESS`, written under a temporary name and renamed, so a reader never sees half a
 * batch and a batch re-run after a restart replaces its directory whole.
 */
export async function saveTextFiles(
  prefix: string,
  suffix: string | undefined,
  records: readonly unknown[],
  time: number,
): Promise<void> {
  const target = `${prefix}-${time}${suffix ? `.${suffix}` : ''}`;
  const temp = `${dirname(target)}/.${target.slice(dirname(target).length + 1)}.tmp`;
  try {
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    const lines: string[] = new Array(records.length);
    for (let i = 0; i < records.length; i++) lines[i] = formatRecord(records[i]);
    await writeSynced(`${temp}/part-00000`, lines.length > 0 ? `${lines.join('\n')}\n` : '');
    await writeSynced(`${temp}/_SUCCESS`, '');
    await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (e) {
    throw ioError(e, `saveAsTextFiles: ${target}`);
  }
}

/** Writes a file and syncs it to disk. */
export async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
