import { SluiceError } from './errors.js';

/**
 * Site configuration: Hadoop-style XML (`conf/flume-conf.xml` overridden by `conf/flume-site.xml`)
 * over the documented defaults in PROPERTIES. Typed getters fail with a SluiceError naming the
 * property and the file it came from.
 *
 * (Skeleton: the XML loader and the full property table are filled in by the configuration work.)
 */
export interface PropertyDef {
  name: string;
  type: 'string' | 'int' | 'bool' | 'float' | 'list';
  default: string;
  docs: string;
}

export const PROPERTIES: readonly PropertyDef[] = [
  { name: 'flume.event.max.size.bytes', type: 'int', default: '32768', docs: 'Longest event body; longer bodies are truncated.' },
  { name: 'flume.collector.event.host', type: 'string', default: 'localhost', docs: 'Default collector host of agent sinks.' },
  { name: 'flume.collector.port', type: 'int', default: '35853', docs: 'Default collector port.' },
  { name: 'flume.collector.output.format', type: 'string', default: 'avrojson', docs: 'Output format of collector sinks.' },
  { name: 'flume.collector.dfs.compress.gzip', type: 'bool', default: 'false', docs: 'Gzip collector output (.gz suffix).' },
];

export class SiteConfig {
  constructor(
    private readonly values: ReadonlyMap<string, { value: string; from: string }> = new Map(),
  ) {}

  static defaults(): SiteConfig {
    return new SiteConfig();
  }

  /** A copy with some properties replaced (tests, command-line -D options). */
  with(overrides: Record<string, string>): SiteConfig {
    const m = new Map(this.values);
    for (const [k, v] of Object.entries(overrides)) m.set(k, { value: v, from: 'override' });
    return new SiteConfig(m);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.value ?? PROPERTIES.find((p) => p.name === name)?.default;
  }

  getString(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw new SluiceError('SLUICE_CONFIG', `unknown property ${name}`, { place: { field: name } });
    return v;
  }

  getInt(name: string): number {
    const v = this.getString(name).trim();
    if (!/^-?\d+$/.test(v)) throw this.bad(name, v, 'an integer');
    return Number(v);
  }

  getFloat(name: string): number {
    const v = this.getString(name).trim();
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) throw this.bad(name, v, 'a number');
    return n;
  }

  getBool(name: string): boolean {
    const v = this.getString(name).trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false' || v === '') return false;
    throw this.bad(name, v, 'true or false');
  }

  private bad(name: string, v: string, what: string): SluiceError {
    const from = this.values.get(name)?.from;
    return new SluiceError('SLUICE_CONFIG', `${name} must be ${what}, got "${v}"`, {
      place: { ...(from ? { file: from } : {}), field: name },
    });
  }
}
