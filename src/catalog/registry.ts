import { type Place, SluiceError } from '../core/errors.js';
import { closest, quotedAlternatives } from '../core/suggest.js';
import type { Pos } from '../spec/ast.js';
import type { ComponentDef, ComponentKind } from './types.js';

/**
 * The catalog: an immutable value holding component definitions, given as an explicit list (nothing
 * registers itself on import). Tests and sandboxes derive narrower or wider catalogs with `with` and
 * `without`, the way Benthos environments are cloned.
 *
 * Names are exact (the dataflow language is case-sensitive, as in Flume OG); `ignoreCase` serves the
 * agent properties format, whose type names Flume NG matches without case.
 */

export type DefOf<K extends ComponentKind> = Extract<ComponentDef, { kind: K }>;

/** Where a name was written: a parser position or an error place. */
export type Where = Pos | Place;

export interface LookupOptions {
  /** The file the name was read from, for the error's place. */
  file?: string;
  ignoreCase?: boolean;
}

const KINDS: readonly ComponentKind[] = ['source', 'sink', 'decorator'];

const ARTICLE: Record<ComponentKind, string> = {
  source: 'a source',
  sink: 'a sink',
  decorator: 'a decorator',
};

export class Catalog {
  private readonly defs: readonly ComponentDef[];
  /** kind -> name or alias -> def. */
  private readonly byName = new Map<ComponentKind, Map<string, ComponentDef>>();

  constructor(defs: readonly ComponentDef[]) {
    this.defs = [...defs];
    for (const kind of KINDS) this.byName.set(kind, new Map());
    for (const def of this.defs) {
      validateDef(def);
      const names = this.byName.get(def.kind)!;
      for (const n of [def.name, ...(def.aliases ?? [])]) {
        const other = names.get(n);
        if (other) {
          throw new SluiceError(
            'SLUICE_INTERNAL',
            `catalog: ${def.kind} name "${n}" is used by both "${other.name}" and "${def.name}"`,
          );
        }
        names.set(n, def);
      }
    }
  }

  /** The definition of `name` (or of an alias) of that kind, or undefined. */
  find<K extends ComponentKind>(
    kind: K,
    name: string,
    opts: { ignoreCase?: boolean } = {},
  ): DefOf<K> | undefined {
    const names = this.byName.get(kind)!;
    const exact = names.get(name);
    if (exact || !opts.ignoreCase) return exact as DefOf<K> | undefined;
    const lower = name.toLowerCase();
    for (const [n, def] of names) if (n.toLowerCase() === lower) return def as DefOf<K>;
    return undefined;
  }

  has(kind: ComponentKind, name: string): boolean {
    return this.byName.get(kind)!.has(name);
  }

  /**
   * The definition of `name`, or a SLUICE_SPEC_UNKNOWN_COMPONENT error at `where` that suggests the
   * closest names of that kind, says when the name is a component of another kind, and lists the
   * known names when nothing is close.
   */
  lookup<K extends ComponentKind>(kind: K, name: string, where?: Where, opts: LookupOptions = {}): DefOf<K> {
    const def = this.find(kind, name, opts);
    if (def) return def;
    const place: Place = {};
    const file = opts.file ?? (where && 'file' in where ? where.file : undefined);
    if (file !== undefined) place.file = file;
    if (where?.line !== undefined) place.line = where.line;
    if (where?.column !== undefined) place.column = where.column;

    let message = `unknown ${kind} "${name}"`;
    let detail: string | undefined;
    const elsewhere = KINDS.filter((k) => k !== kind && this.has(k, name));
    const best = closest(name, this.byName.get(kind)!.keys());
    if (elsewhere.length > 0) {
      // Using a decorator as a sink (or a source as a sink) is a mistake of grammar, not of spelling.
      message += `; "${name}" is ${elsewhere.map((k) => ARTICLE[k]).join(' and ')}`;
      if (kind === 'sink' && elsewhere.includes('decorator')) message += `: write { ${name} => sink }`;
    } else if (best.length > 0) {
      message += `; did you mean ${quotedAlternatives(best)}?`;
    }
    if (best.length === 0) {
      const known = this.list(kind).map((d) => d.name);
      detail = known.length > 0 ? `known ${kind}s: ${known.join(', ')}` : `the catalog has no ${kind}s`;
    }
    return throwUnknown(message, place, detail);
  }

  /** Definitions of one kind (or all), sorted by name. */
  list<K extends ComponentKind>(kind: K): DefOf<K>[];
  list(): ComponentDef[];
  list(kind?: ComponentKind): ComponentDef[] {
    const out = kind === undefined ? [...this.defs] : this.defs.filter((d) => d.kind === kind);
    return out.sort((a, b) =>
      a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  /** A new catalog with these definitions added; each replaces any definition of the same kind and name. */
  with(...defs: ComponentDef[]): Catalog {
    const replaced = new Set(defs.map((d) => `${d.kind}:${d.name}`));
    return new Catalog([...this.defs.filter((d) => !replaced.has(`${d.kind}:${d.name}`)), ...defs]);
  }

  /**
   * A new catalog without the named definitions: a plain name removes that name of every kind
   * (`console` is both a source and a sink), `{ kind, name }` removes only one.
   */
  without(...names: (string | { kind: ComponentKind; name: string })[]): Catalog {
    const plain = new Set<string>();
    const qualified = new Set<string>();
    for (const n of names) {
      if (typeof n === 'string') plain.add(n);
      else qualified.add(`${n.kind}:${n.name}`);
    }
    return new Catalog(this.defs.filter((d) => !plain.has(d.name) && !qualified.has(`${d.kind}:${d.name}`)));
  }

  get size(): number {
    return this.defs.length;
  }
}

function throwUnknown(message: string, place: Place, detail: string | undefined): never {
  throw new SluiceError('SLUICE_SPEC_UNKNOWN_COMPONENT', message, { place, ...(detail ? { detail } : {}) });
}

/**
 * Checks a definition's parameter schema once, when a catalog is made, so binding can trust it:
 * required before optional, variadic only last, defaults of the declared type.
 */
export function validateDef(def: ComponentDef): void {
  const bug = (what: string) =>
    new SluiceError('SLUICE_INTERNAL', `catalog: ${def.kind} "${def.name}": ${what}`);
  if (!KINDS.includes(def.kind)) throw bug(`unknown kind "${String(def.kind)}"`);
  if (!/^[\p{L}_][\p{L}\p{N}_.-]*$/u.test(def.name))
    throw bug('the name is not an identifier of the language');
  let optionalSeen = false;
  const seen = new Set<string>();
  def.params.forEach((p, i) => {
    if (seen.has(p.name)) throw bug(`parameter "${p.name}" is declared twice`);
    seen.add(p.name);
    const optional = p.optional === true || p.default !== undefined || p.configDefault !== undefined;
    if (optional) optionalSeen = true;
    else if (optionalSeen && !p.variadic) throw bug(`required parameter "${p.name}" follows an optional one`);
    if (p.variadic && i !== def.params.length - 1)
      throw bug(`variadic parameter "${p.name}" is not the last`);
    if (p.variadic && optionalSeen && !optional)
      throw bug(`required variadic "${p.name}" follows an optional one`);
    if (p.default !== undefined) {
      const t = typeof p.default;
      const ok =
        p.type === 'string'
          ? t === 'string'
          : p.type === 'bool'
            ? t === 'boolean'
            : t === 'number' && (p.type === 'float' || Number.isInteger(p.default));
      if (!ok) throw bug(`default of "${p.name}" is not a ${p.type}`);
    }
  });
}
