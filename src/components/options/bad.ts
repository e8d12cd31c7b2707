import { SluiceError } from '../../core/errors.js';

/** A component option that binds by type but makes no sense (a bad level, a key without its certificate). */
export function badOption(component: string, field: string, message: string): SluiceError {
  return new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', message, { place: { component, field } });
}
