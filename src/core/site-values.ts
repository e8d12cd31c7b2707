import { SluiceError } from './errors.js';
import { PROPERTIES, type PropertyDef } from './site-properties.js';

/** The checks every value of a site property passes, wherever it comes from (a file, an override). */

const BY_NAME: ReadonlyMap<string, PropertyDef> = new Map(PROPERTIES.map((p) => [p.name, p]));

export function propertyDef(name: string): PropertyDef | undefined {
  return BY_NAME.get(name);
}

/** Every known property name, for "did you mean". */
export function propertyNames(): Iterable<string> {
  return BY_NAME.keys();
}

/** What is wrong with `v` as a value of property `name`, or undefined (also for unknown names). */
export function checkValue(name: string, v: string): string | undefined {
  const def = BY_NAME.get(name);
  if (def === undefined) return undefined;
  switch (def.type) {
    case 'int':
      if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) return 'an integer';
      break;
    case 'float':
      if (v === '' || !Number.isFinite(Number(v))) return 'a number';
      break;
    case 'bool':
      if (!['true', 'false', ''].includes(v.toLowerCase())) return 'true or false';
      break;
    case 'string':
      if (def.values && !def.values.includes(v)) return `one of ${def.values.join(', ')}`;
      break;
    case 'list':
      break;
  }
  if (def.type === 'int' || def.type === 'float') {
    const n = Number(v);
    const lo = def.min ?? Number.NEGATIVE_INFINITY;
    const hi = def.max ?? Number.POSITIVE_INFINITY;
    if (n < lo || n > hi) {
      return def.max === undefined
        ? `at least ${lo}`
        : def.min === undefined
          ? `at most ${hi}`
          : `between ${lo} and ${hi}`;
    }
  }
  return def.check?.(v);
}

export function badValue(
  name: string,
  v: string,
  what: string,
  place: Record<string, string | number>,
): SluiceError {
  return new SluiceError('SLUICE_CONFIG', `${name} must be ${what}, got "${v}"`, {
    place: { ...place, field: name },
  });
}
