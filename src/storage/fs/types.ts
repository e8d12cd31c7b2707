import { SluiceError } from '../../core/errors.js';

/**
 * The little of a file system the output writers need: files are written once, front to back, under a
 * temporary name, then renamed into place. Both the local disk and HDFS (through WebHDFS) offer exactly
 * this, which is why nothing here seeks, reads or truncates.
 *
 * Paths are absolute within one file system (`/flume/web/2026-01-01`); `uri(path)` renders one for
 * messages (`hdfs://nn:9870/flume/...`, `/tmp/x`).
 */
export interface FileSystem {
  /** `file` or `hdfs`. */
  readonly scheme: string;
  /** The user-facing form of a path of this file system, for logs and errors. */
  uri(path: string): string;
  /** Creates a new file; fails when the path already exists (writers never overwrite). */
  create(path: string): Promise<WritableFile>;
  /** Creates a directory and its missing parents; succeeds when it already exists. */
  mkdirs(path: string): Promise<void>;
  /** Renames without replacing: fails with `FileExistsError` when `to` exists. */
  rename(from: string, to: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Releases connections; files still open are not affected on disk but must not be written after. */
  close(): Promise<void>;
}

/**
 * A file being written. `write` keeps the caller's order and returns a promise only when the caller
 * should wait before writing more (buffers full): the same backpressure idiom as `EventSink.append`.
 */
export interface WritableFile {
  readonly path: string;
  /** Bytes accepted so far (before compression when a compressing wrapper sits in front). */
  readonly bytesWritten: number;
  write(chunk: Buffer): void | Promise<void>;
  /** Writes out everything buffered and makes it durable (fsync, or the last WebHDFS request). */
  close(): Promise<void>;
  /** Stops writing and releases resources, leaving whatever reached the file as it is. */
  abort(): Promise<void>;
}

/** Thrown by `rename` and `create` when the destination exists, so callers can pick another name. */
export class FileExistsError extends SluiceError {
  constructor(readonly path: string) {
    super('SLUICE_IO', `${path} already exists`, { place: { file: path } });
  }
}
