import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ioError } from '../core/errors.js';

/**
 * Replaces `file` with `text` so a crash leaves the old content or the new, never half a file: written
 * to a temporary name, fsynced, renamed over the old one, the directory fsynced.
 */
export function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const d = openSync(dirname(file), 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch (e) {
    throw ioError(e, `writing ${file}`);
  }
}

/**
 * `atomicWrite` off the event loop: the same steps through the thread pool, so the heartbeats a master
 * answers go on while its state file is written and fsynced (on a disk busy with other writers, even
 * the write into the page cache can block for long).
 */
export async function atomicWriteAsync(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    const fd = await open(tmp, 'w', 0o600);
    try {
      await fd.writeFile(text);
      await fd.sync();
    } finally {
      await fd.close();
    }
    await rename(tmp, file);
    const d = await open(dirname(file), 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (e) {
    throw ioError(e, `writing ${file}`);
  }
}
