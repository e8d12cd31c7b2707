import { asSluiceError, SluiceError } from '../../core/errors.js';

/**
 * A fault re-placed at the agent component it belongs to (`source r1 (spooldir)`), keeping its code and
 * message: the CLI and the log then print one line that names the component once, whatever place the
 * component itself gave (its own name, a field, nothing).
 */
export function componentError(component: string, e: unknown): SluiceError {
  const err = asSluiceError(e);
  return new SluiceError(err.code, err.message, { place: { component }, retriable: err.retriable, cause: e });
}

/** How an agent's lines name a component: `source r1 (spooldir)`. */
export function componentLabel(kind: 'source' | 'sink', name: string, type: string | undefined): string {
  return `${kind} ${name}${type !== undefined ? ` (${type})` : ''}`;
}
