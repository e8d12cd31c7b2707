import { SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * Property-configured components (the agent format's sources, sinks, channels, interceptors, sink
 * processors) declare their keys with these specs; `ComponentProperties` checks every value once, at
 * create time, so a bad value fails with SLUICE_AGENT_CONFIG naming the component and key before
 * anything starts. The agent builder adds the file and line the key came from.
 */
export type PropertyType = 'int' | 'float' | 'bool' | 'string' | 'list';

export interface PropertySpec {
  /** The key after `<agent>.<kind>.<name>.` (e.g. `batchSize`, `keep-alive`). */
  name: string;
  type: PropertyType;
  /** As written in a properties file; absent for required properties and computed defaults. */
  default?: string;
  docs: string;
  required?: boolean;
  /** Smallest allowed value of a numeric property. */
  min?: number;
  /** The allowed values of a string property (matched case-insensitively). */
  choices?: readonly string[];
}

export type RawProps = Readonly<Record<string, string>>;

export class ComponentProperties {
  private readonly values = new Map<string, string>();

  constructor(
    /** How errors name the component: `sink k1`, `channel c1`. */
    readonly component: string,
    private readonly specs: readonly PropertySpec[],
    props: RawProps,
    logger?: Logger,
    /** Keys under these prefixes belong to sub-components (interceptors., selector.) and are not checked. */
    nested: readonly string[] = [],
  ) {
    for (const [key, value] of Object.entries(props)) {
      // `interceptors = ts` lists sub-components as `interceptors.ts.type = ...` configures them.
      if (
        key === 'type' ||
        key === 'channel' ||
        key === 'channels' ||
        nested.some((n) => key.startsWith(n) || `${key}.` === n)
      )
        continue;
      if (
        !specs.some((s) => s.name === key || (s.name.endsWith('.*') && key.startsWith(s.name.slice(0, -1))))
      ) {
        logger?.warn(`${component}: unknown property ${key} (ignored)`);
        continue;
      }
      this.values.set(key, value.trim());
    }
    for (const spec of specs) {
      if (spec.name.endsWith('.*')) continue;
      const v = this.values.get(spec.name) ?? spec.default;
      if (v === undefined) {
        if (spec.required) throw this.error(spec.name, `${spec.name} is required`);
        continue;
      }
      this.check(spec, v);
    }
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
  string(name: string): string {
    return this.raw(name) ?? '';
  }
  optString(name: string): string | undefined {
    return this.raw(name);
  }
  int(name: string): number {
    return Number(this.raw(name));
  }
  float(name: string): number {
    return Number(this.raw(name));
  }
  bool(name: string): boolean {
    return this.raw(name)?.toLowerCase() === 'true';
  }
  /** A comma- or space-separated list. */
  list(name: string): string[] {
    const v = this.raw(name);
    return v ? v.split(/[,\s]+/).filter((s) => s.length > 0) : [];
  }
  /** Keys (and values) under a prefix, e.g. `priority.` of a failover processor. */
  withPrefix(prefix: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of this.values) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
    return out;
  }

  error(field: string, message: string): SluiceError {
    return new SluiceError('SLUICE_CONFIG', `${this.component}: ${message}`, {
      place: { component: this.component, field },
    });
  }

  private raw(name: string): string | undefined {
    return this.values.get(name) ?? this.specs.find((s) => s.name === name)?.default;
  }

  private check(spec: PropertySpec, v: string): void {
    const bad = (what: string) => this.error(spec.name, `${spec.name} must be ${what}, got "${v}"`);
    const parsed = parseValue(spec.type, v);
    if (typeof parsed === 'object') throw bad(parsed.expected);
    if (
      spec.type === 'string' &&
      spec.choices &&
      !spec.choices.some((c) => c.toLowerCase() === v.toLowerCase())
    )
      throw bad(`one of ${spec.choices.join(', ')}`);
    if (spec.min !== undefined && typeof parsed === 'number' && parsed < spec.min)
      throw bad(`at least ${spec.min}`);
  }
}

/**
 * A property's text as a typed value, or what was expected: the one conversion both front ends use for
 * text (agent-file properties of every component, whichever kind of definition it has).
 */
export function parseValue(type: PropertyType, v: string): string | number | boolean | { expected: string } {
  switch (type) {
    case 'int':
      return /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : { expected: 'an integer' };
    case 'float':
      return v !== '' && Number.isFinite(Number(v)) ? Number(v) : { expected: 'a number' };
    case 'bool':
      return /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : { expected: 'true or false' };
    default:
      return v;
  }
}
