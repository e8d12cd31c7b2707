import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { asSluiceError, ioError, SluiceError } from '../core/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from './codec.js';
import type { StreamCheckpoint } from './dstream.js';
import { writeSynced } from './output.js';

/**
 * A context's checkpoint: the batch it was taken after, the graph's shape, and what each stream needs
 * to resume (state, and the batches its windows still read). One file, `<dir>/checkpoint`, replaced
 * atomically: written to a temporary file, synced, renamed over the old one, and the directory synced,
 * so a SIGKILL at any moment leaves either the old checkpoint or the new one.
 */
export interface Checkpoint {
  version: 1;
  batchIntervalMs: number;
  zeroTime: number;
  /** The batch time the checkpoint was taken after: every batch up to it is in it. */
  time: number;
  /** The kind of every stream of the graph in creation order, to check a restarted program built the same. */
  kinds: string[];
  streams: StreamCheckpoint[];
}

const FILE = 'checkpoint';

export async function writeCheckpoint(dir: string, cp: Checkpoint): Promise<void> {
  const path = `${dir}/${FILE}`;
  try {
    await mkdir(dir, { recursive: true });
    await writeSynced(`${path}.tmp`, encodeCheckpoint(cp));
    await rename(`${path}.tmp`, path);
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (e) {
    throw asSluiceError(ioError(e, `checkpoint ${path}`), 'SLUICE_STORAGE');
  }
}

/** The checkpoint in `dir`, or undefined when there is none yet. */
export async function readCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const path = `${dir}/${FILE}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(e, `checkpoint ${path}`);
  }
  let cp: Checkpoint;
  try {
    cp = decodeCheckpoint(text) as Checkpoint;
  } catch (e) {
    throw new SluiceError('SLUICE_STORAGE', `checkpoint ${path} is corrupt: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (cp?.version !== 1 || !Array.isArray(cp.streams) || !Array.isArray(cp.kinds))
    throw new SluiceError(
      'SLUICE_STORAGE',
      `checkpoint ${path} is not a Sluice streaming checkpoint (version 1)`,
    );
  return cp;
}
