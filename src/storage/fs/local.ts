import { type FileHandle, link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ioError, SluiceError } from '../../core/errors.js';
import { FileExistsError, type FileSystem, type WritableFile } from './types.js';

export interface LocalFileSystemOptions {
  /** fsync each file before closing it (default true): a renamed file then survives a power cut. */
  sync?: boolean;
  /** Bytes a file may hold in memory before `write` asks the caller to wait (default 1 MiB). */
  highWaterMark?: number;
}

/** libuv writes at most IOV_MAX buffers per call; staying under it avoids needless partial writes. */
const MAX_IOV = 512;

/** The local disk (`file:///tmp/x`, `/tmp/x` or a relative path). */
export class LocalFileSystem implements FileSystem {
  readonly scheme = 'file';
  private readonly sync: boolean;
  private readonly highWaterMark: number;

  constructor(opts: LocalFileSystemOptions = {}) {
    this.sync = opts.sync ?? true;
    this.highWaterMark = opts.highWaterMark ?? 1 << 20;
  }

  uri(path: string): string {
    return path;
  }

  async create(path: string): Promise<WritableFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(path);
      throw fsError(e, `cannot create file ${path}`, path);
    }
    return new LocalFile(path, handle, this.sync, this.highWaterMark);
  }

  async mkdirs(path: string): Promise<void> {
    try {
      await mkdir(path, { recursive: true });
    } catch (e) {
      throw fsError(e, `cannot create directory ${path}`, path);
    }
  }

  /**
   * A hard link then an unlink: unlike rename(2), link(2) refuses to replace an existing name, so two
   * writers racing for one name cannot destroy each other's file. File systems without hard links
   * fall back to check-then-rename.
   */
  async rename(from: string, to: string): Promise<void> {
    try {
      await link(from, to);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new FileExistsError(to);
      if (
        code !== 'EPERM' &&
        code !== 'ENOTSUP' &&
        code !== 'EOPNOTSUPP' &&
        code !== 'EXDEV' &&
        code !== 'EMLINK'
      ) {
        throw fsError(e, `cannot rename ${from} to ${to}`, from);
      }
      if (await this.exists(to)) throw new FileExistsError(to);
      try {
        await rename(from, to);
      } catch (e2) {
        throw fsError(e2, `cannot rename ${from} to ${to}`, from);
      }
      if (this.sync) await syncDir(dirname(to));
      return;
    }
    try {
      await unlink(from);
    } catch (e) {
      throw fsError(e, `renamed ${from} to ${to} but cannot remove the old name`, from);
    }
    if (this.sync) await syncDir(dirname(to));
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw fsError(e, `cannot stat ${path}`, path);
    }
  }

  async close(): Promise<void> {}
}

/**
 * A rename is durable only once its directory is synced; without it a power cut can bring back the
 * temporary name. Some file systems refuse fsync on directories: the rename then stays as durable as
 * they make it.
 */
async function syncDir(dir: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // See above: best effort.
  } finally {
    await h?.close().catch(() => {});
  }
}

/** Node's message for the errno codes a misconfigured output directory produces is cryptic. */
function fsError(e: unknown, what: string, path: string): SluiceError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOTDIR'
      ? 'a parent is a file, not a directory'
      : code === 'EEXIST'
        ? 'a file of that name exists'
        : code === 'EROFS'
          ? 'read-only file system'
          : code === 'ENOSPC'
            ? 'no space left on device'
            : undefined;
  if (reason === undefined) return ioError(e, what, { file: path });
  return new SluiceError('SLUICE_IO', `${what}: ${reason}`, { cause: e, place: { file: path } });
}

/**
 * Writes are queued and written by one loop with writev, so a batch of small chunks costs one system
 * call, and the caller waits only when more than `highWaterMark` bytes are not yet on disk.
 */
class LocalFile implements WritableFile {
  bytesWritten = 0;
  private queue: Buffer[] = [];
  private pending = 0;
  private pumping: Promise<void> | undefined;
  private failed: SluiceError | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly sync: boolean,
    private readonly highWaterMark: number,
  ) {}

  write(chunk: Buffer): void | Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed)
      return Promise.reject(new SluiceError('SLUICE_CLOSED', `write to closed file ${this.path}`));
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.pending += chunk.length;
    this.bytesWritten += chunk.length;
    if (!this.pumping) {
      const p = this.pump();
      this.pumping = p;
      // A failure is kept in `failed` and reported to the next caller; nobody may be awaiting now.
      p.catch(() => {});
    }
    if (this.pending >= this.highWaterMark) return this.pumping;
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let chunks = this.queue.length > MAX_IOV ? this.queue.splice(0, MAX_IOV) : this.queue;
        if (chunks === this.queue) this.queue = [];
        let size = 0;
        for (const c of chunks) size += c.length;
        while (size > 0) {
          const { bytesWritten } = await this.handle.writev(chunks);
          size -= bytesWritten;
          this.pending -= bytesWritten;
          if (size > 0) chunks = dropBytes(chunks, bytesWritten);
        }
      }
    } catch (e) {
      this.failed = fsError(e, `cannot write ${this.path}`, this.path);
      throw this.failed;
    } finally {
      this.pumping = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      while (this.pumping) await this.pumping;
      if (this.failed) throw this.failed;
      if (this.sync) await this.handle.sync();
    } catch (e) {
      await this.handle.close().catch(() => {});
      throw fsError(e, `cannot write ${this.path}`, this.path);
    }
    try {
      await this.handle.close();
    } catch (e) {
      throw fsError(e, `cannot close ${this.path}`, this.path);
    }
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pumping) await this.pumping.catch(() => {});
    await this.handle.close().catch(() => {});
  }
}

function dropBytes(chunks: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && n >= chunks[i]!.length) n -= chunks[i++]!.length;
  const rest = chunks.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}
