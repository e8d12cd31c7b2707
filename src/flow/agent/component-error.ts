import { asSluiceError, SluiceError } from '../../core/errors.js';

/**
 * A fault re-placed at the agent component it belongs to (`source r1 (spooldir)`), keeping its code and
 * message: the CLI and the log then print one line that names the component once, whatever place the
 * component itself gave (its own name, a field, nothing).
 */
export function componentError(component: string, e: unknown): SluiceError {
  const err = asSluiceError(e);
  // Some components start their messages with their own name as well as placing the error there.
  const own = err.place?.component;
  const message =
    own !== undefined && err.message.startsWith(`${own}: `) ? err.message.slice(own.length + 2) : err.message;
  return new SluiceError(err.code, message, { place: { component }, retriable: err.retriable, cause: e });
}

/** How an agent's lines name a component: `source r1 (spooldir)`. */
export function componentLabel(kind: 'source' | 'sink', name: string, type: string | undefined): string {
  return `${kind} ${name}${type !== undefined ? ` (${type})` : ''}`;
}
