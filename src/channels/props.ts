import { SluiceError } from '../core/errors.js';
import type { ChannelContext, ChannelPropertySpec, ChannelProps } from './types.js';

/**
 * Typed, validated access to a channel's properties: every value is checked against its spec once,
 * at create time, so a bad value fails with SLUICE_CONFIG naming the channel and key before anything
 * starts. Keys no spec names are reported as warnings (Flume ignores them too, but a typo should show).
 */
export class ChannelProperties {
  private readonly values = new Map<string, string>();

  constructor(
    private readonly type: string,
    private readonly specs: readonly ChannelPropertySpec[],
    props: ChannelProps,
    private readonly ctx: ChannelContext,
  ) {
    for (const [key, value] of Object.entries(props)) {
      if (key === 'type') continue;
      if (!specs.some((s) => s.name === key)) {
        ctx.logger.warn(`channel ${ctx.name}: unknown ${type} channel property ${key} (ignored)`);
        continue;
      }
      this.values.set(key, value.trim());
    }
    for (const spec of specs) {
      const v = this.values.get(spec.name) ?? spec.default;
      if (v === undefined) {
        if (spec.required) throw this.error(spec.name, `${spec.name} is required for a ${type} channel`);
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

  int(name: string): number {
    return Number(this.raw(name));
  }

  float(name: string): number {
    return Number(this.raw(name));
  }

  bool(name: string): boolean {
    return this.raw(name)?.toLowerCase() === 'true';
  }

  list(name: string): string[] {
    const v = this.raw(name);
    return v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : [];
  }

  /** A SLUICE_CONFIG error placed at this channel's property (for checks between properties). */
  error(field: string, message: string): SluiceError {
    return new SluiceError('SLUICE_CONFIG', message, {
      place: { component: `channel ${this.ctx.name}`, field },
    });
  }

  private raw(name: string): string | undefined {
    return this.values.get(name) ?? this.specs.find((s) => s.name === name)?.default;
  }

  private check(spec: ChannelPropertySpec, v: string): void {
    const bad = (what: string) => this.error(spec.name, `${spec.name} must be ${what}, got "${v}"`);
    switch (spec.type) {
      case 'int':
        if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw bad('an integer');
        break;
      case 'float':
        if (v === '' || !Number.isFinite(Number(v))) throw bad('a number');
        break;
      case 'bool':
        if (!/^(true|false)$/i.test(v)) throw bad('true or false');
        return;
      default:
        return;
    }
    if (spec.min !== undefined && Number(v) < spec.min) throw bad(`at least ${spec.min}`);
  }
}
