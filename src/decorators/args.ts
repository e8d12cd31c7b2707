import { SluiceError } from '../core/errors.js';

/**
 * Range checks the argument binder cannot express (it checks types only). Each failure is a
 * SLUICE_SPEC_BAD_ARGUMENT naming the component and the argument.
 */
export function badArgument(component: string, field: string, message: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', message, {
    place: { component, field },
    ...(cause !== undefined ? { cause } : {}),
  });
}

export function atLeast(component: string, field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw badArgument(component, field, `${field} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** A variadic list of attribute names that must hold at least one. */
export function requireNames(component: string, names: string[]): string[] {
  if (names.length === 0)
    throw badArgument(component, 'attrs', `${component} needs at least one attribute name`);
  return names;
}
