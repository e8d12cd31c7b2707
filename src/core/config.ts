import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ioError, SluiceError } from './errors.js';
import { badValue, checkValue, propertyDef, propertyNames } from './site-values.js';
import { readConfigXml } from './site-xml.js';
import { closest } from './suggest.js';

/**
 * Site configuration: Hadoop-style XML (`conf/flume-conf.xml` overridden by `conf/flume-site.xml`,
 * read by site-xml.ts) over the documented defaults in PROPERTIES (site-properties.ts). Values are
 * trimmed and type-checked (site-values.ts) when a file is loaded, so a typo stops start-up with the
 * file, line and property; typed getters check again for values set by `with` or for names outside
 * PROPERTIES.
 *
 * `conf/flume-conf.xml` is generated from PROPERTIES (site-xml.ts `renderDefaultsXml`, a test keeps it
 * current).
 */

interface Setting {
  value: string;
  /** `file:line`, `override` or absent for defaults. */
  from: string;
  final?: boolean;
}

/** The file names `SiteConfig.load` reads, in order (later files override earlier ones). */
export const CONFIG_FILES = ['flume-conf.xml', 'flume-site.xml'] as const;

export class SiteConfig {
  /** Non-fatal problems found while loading (unknown properties, overrides of final values). */
  readonly warnings: readonly string[];

  constructor(
    private readonly values: ReadonlyMap<string, Setting> = new Map(),
    warnings: readonly string[] = [],
  ) {
    this.warnings = warnings;
  }

  static defaults(): SiteConfig {
    return new SiteConfig();
  }

  /**
   * Reads `flume-conf.xml` then `flume-site.xml` from `dir` (either may be absent). Malformed XML or a
   * bad value of a known property is a SluiceError SLUICE_CONFIG naming file, line and property.
   */
  static load(dir: string): SiteConfig {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch (e) {
      throw ioError(e, `configuration directory ${dir}`);
    }
    if (!isDir) throw new SluiceError('SLUICE_CONFIG', `configuration directory ${dir} is not a directory`);
    const values = new Map<string, Setting>();
    const warnings: string[] = [];
    for (const name of CONFIG_FILES) {
      const file = join(dir, name);
      if (!existsSync(file)) continue;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw ioError(e, `reading ${file}`);
      }
      for (const p of readConfigXml(text, file, warnings)) {
        const prior = values.get(p.name);
        if (prior?.final) {
          warnings.push(`${file}:${p.line}: ${p.name} is final in ${prior.from}; this value is ignored`);
          continue;
        }
        values.set(p.name, { value: p.value, from: `${file}:${p.line}`, final: p.final });
      }
    }
    return new SiteConfig(values, warnings);
  }

  /** A copy with some properties replaced (tests, command-line -D options); values are checked. */
  with(overrides: Record<string, string>): SiteConfig {
    const m = new Map(this.values);
    for (const [k, raw] of Object.entries(overrides)) {
      const v = raw.trim();
      const problem = checkValue(k, v);
      if (problem) throw badValue(k, v, problem, {});
      m.set(k, { value: v, from: 'override' });
    }
    return new SiteConfig(m, this.warnings);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.value ?? propertyDef(name)?.default;
  }

  /** Where a value came from: `file:line`, `override`, or `default`. */
  source(name: string): string {
    return this.values.get(name)?.from ?? 'default';
  }

  /** The names set explicitly (by a file or `with`), in order of first appearance. */
  names(): string[] {
    return [...this.values.keys()];
  }

  getString(name: string): string {
    const v = this.get(name);
    if (v === undefined) {
      const hint = closest(name, propertyNames(), 1)[0];
      throw new SluiceError(
        'SLUICE_CONFIG',
        `unknown property ${name}${hint ? ` (did you mean ${hint}?)` : ''}`,
        {
          place: { field: name },
        },
      );
    }
    return v;
  }

  getInt(name: string): number {
    const v = this.getString(name).trim();
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw this.bad(name, v, 'an integer');
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

  /** A comma-separated list: items trimmed, empty items dropped (`a, b,,c` is [a, b, c]). */
  getList(name: string): string[] {
    return splitList(this.getString(name));
  }

  private bad(name: string, v: string, what: string): SluiceError {
    return badValue(name, v, what, placeOf(this.values.get(name)?.from));
  }
}

export function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function placeOf(from: string | undefined): { file?: string; line?: number } {
  if (from === undefined || from === 'override') return {};
  const m = /^(.*):(\d+)$/.exec(from);
  return m ? { file: m[1]!, line: Number(m[2]) } : { file: from };
}
