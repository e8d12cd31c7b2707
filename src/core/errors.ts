/**
 * One error family for everything a user can get wrong or the environment can break.
 * Codes are stable (documented in docs/errors.md and checked by a test); `place` says where
 * (file, line, column, component, field) so a CLI can print a one-line message without a stack.
 */

export interface Place {
  file?: string;
  line?: number;
  column?: number;
  /** The component (source, sink, decorator, node) the error belongs to. */
  component?: string;
  /** The argument, property key or field. */
  field?: string;
}

export const ERROR_CODES = {
  SLUICE_SPEC_SYNTAX: 'The dataflow spec does not parse.',
  SLUICE_SPEC_UNKNOWN_COMPONENT: 'A spec names a source, sink or decorator the catalog does not have.',
  SLUICE_SPEC_BAD_ARGUMENT: 'A component got the wrong number or type of arguments.',
  SLUICE_SPEC_UNBOUND: 'A let-bound name is used outside its scope or a node is defined twice.',
  SLUICE_CONFIG: 'A site configuration file or property is malformed or out of range.',
  SLUICE_AGENT_CONFIG: 'An agent properties file is malformed or inconsistent.',
  SLUICE_ESCAPE: 'An escape pattern (%{attr}, %Y ...) is malformed.',
  SLUICE_IO: 'A file or socket operation failed.',
  SLUICE_PATH_ESCAPE:
    'A path built from escapes would leave the directory written before its first escape; the batch is refused.',
  SLUICE_NOT_FOUND: 'A file or directory the component needs does not exist.',
  SLUICE_EXEC_REFUSED: 'An exec source was configured on a node started without the allow-exec flag.',
  SLUICE_FORMAT: 'Data does not have the expected format (seqfile, avro, gzip, batch ...).',
  SLUICE_CLOSED: 'An operation was attempted on a closed component.',
  SLUICE_RPC: 'A remote procedure call failed (connection, handshake, timeout, remote error).',
  SLUICE_FRAME_TOO_LARGE: 'A peer announced a frame larger than the configured limit.',
  SLUICE_CHANNEL_FULL: 'A channel has no room for a put within its keep-alive.',
  SLUICE_TRANSACTION: 'A channel transaction was misused (capacity exceeded, not open, already closed).',
  SLUICE_STORAGE: 'The write-ahead log or a checkpoint is corrupt or cannot be written.',
  SLUICE_STREAMING:
    'A streaming context or DStream was used wrongly (a window not a multiple of the batch interval, a stream added after start, a checkpoint of another graph).',
  SLUICE_INTERNAL: 'A bug in Sluice: please report it.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function formatPlace(place: Place | undefined): string {
  if (!place) return '';
  const parts: string[] = [];
  if (place.file !== undefined) {
    let p = place.file;
    if (place.line !== undefined) p += `:${place.line}`;
    if (place.column !== undefined) p += `:${place.column}`;
    parts.push(p);
  } else if (place.line !== undefined) {
    parts.push(
      place.column !== undefined ? `line ${place.line}, column ${place.column}` : `line ${place.line}`,
    );
  }
  if (place.component !== undefined) parts.push(place.component);
  if (place.field !== undefined) parts.push(place.field);
  return parts.join(': ');
}

export class SluiceError extends Error {
  override readonly name: string = 'SluiceError';
  readonly code: ErrorCode;
  readonly place: Place | undefined;
  /** True when retrying the same operation later may succeed (a peer down, a full channel). */
  readonly retriable: boolean;
  /** Extra lines shown under the one-line message (a caret line, a signature, suggestions). */
  readonly detail: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { place?: Place; retriable?: boolean; detail?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.code = code;
    this.place = opts.place;
    this.retriable = opts.retriable ?? false;
    this.detail = opts.detail;
  }

  /** The one line a CLI prints: place, then message. */
  oneLine(): string {
    const where = formatPlace(this.place);
    return where ? `${where}: ${this.message}` : this.message;
  }
}

export function isSluiceError(e: unknown): e is SluiceError {
  return e instanceof SluiceError;
}

/** Wraps any thrown value into a SluiceError, keeping SluiceErrors as they are. */
export function asSluiceError(e: unknown, code: ErrorCode = 'SLUICE_INTERNAL', place?: Place): SluiceError {
  if (e instanceof SluiceError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new SluiceError(code, message, { cause: e, ...(place ? { place } : {}) });
}

/** Turns a Node system error (ENOENT, EACCES ...) into a one-line SluiceError naming the path. */
export function ioError(e: unknown, what: string, place?: Place): SluiceError {
  if (e instanceof SluiceError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err?.code;
  const reason =
    code === 'ENOENT'
      ? 'no such file or directory'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'ENOTDIR'
            ? 'not a directory'
            : code === 'EADDRINUSE'
              ? 'address already in use'
              : code === 'ECONNREFUSED'
                ? 'connection refused'
                : (err?.message ?? String(e));
  return new SluiceError(code === 'ENOENT' ? 'SLUICE_NOT_FOUND' : 'SLUICE_IO', `${what}: ${reason}`, {
    cause: e,
    retriable: code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT',
    ...(place ? { place } : {}),
  });
}

/**
 * The port of a "cannot listen on HOST:PORT: address already in use" error (as ioError words it for
 * a listener), read back by the master from a node's heartbeat so it can assign another port.
 */
export function portInUseOf(message: string): number | undefined {
  // The message comes from a heartbeat: only a line's worth is looked at, however long it is.
  const m = /cannot listen on (?:TCP |UDP )?\S+:(\d+): address already in use/.exec(message.slice(0, 1024));
  return m === null ? undefined : Number(m[1]);
}

/** System error codes of faults that waiting does not heal: the component cannot start as configured. */
const FATAL_ERRNOS: ReadonlySet<string> = new Set([
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'EACCES',
  'EPERM',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EROFS',
  'ELOOP',
]);

/** System error codes of faults that may heal: a peer down or slow, a disk or a descriptor table full. */
const TRANSIENT_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EAI_AGAIN',
  'ENOSPC',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
]);

/** Sluice codes that describe the configuration, not the moment: retrying the same thing fails the same way. */
const FATAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SLUICE_SPEC_SYNTAX',
  'SLUICE_SPEC_UNKNOWN_COMPONENT',
  'SLUICE_SPEC_BAD_ARGUMENT',
  'SLUICE_SPEC_UNBOUND',
  'SLUICE_CONFIG',
  'SLUICE_AGENT_CONFIG',
  'SLUICE_NOT_FOUND',
  'SLUICE_EXEC_REFUSED',
]);

/** Sluice codes of faults that may heal by waiting. */
const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SLUICE_RPC', 'SLUICE_CHANNEL_FULL']);

/** The system error code (ENOENT ...) of an error or of the first error in its cause chain that has one. */
export function errnoOf(e: unknown): string | undefined {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * The one place that decides whether a fault is fatal (stop the component, node or agent with a
 * non-zero status) or transient (retry with backoff, or fail this batch only).
 *
 * Fatal: configuration and refusals, and system errors about the configured place itself (a missing or
 * unreadable directory, a port in use). Transient: a peer down or slow, a full disk, channel or
 * descriptor table. Anything else depends on the phase: while a component `start`s, a fault nobody
 * knows to be passing is fatal (waiting would hang); while it `run`s, it concerns the batch in hand
 * (a bad value in one event) and the next batch may go through.
 */
export function isFatal(e: unknown, phase: 'start' | 'run' = 'run'): boolean {
  if (e instanceof SluiceError) {
    if (e.retriable || TRANSIENT_CODES.has(e.code)) return false;
    if (FATAL_CODES.has(e.code)) return true;
  }
  const errno = errnoOf(e);
  if (errno !== undefined) {
    if (FATAL_ERRNOS.has(errno)) return true;
    if (TRANSIENT_ERRNOS.has(errno)) return false;
  }
  return phase === 'start';
}
