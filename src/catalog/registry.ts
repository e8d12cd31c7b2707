import { type Place, SluiceError } from '../core/errors.js';
import { closest, quotedAlternatives } from '../core/suggest.js';
import type { Pos } from '../spec/ast.js';
import { type FormatDef, type FormatLookup, findFormatIn } from './format.js';
import type { AgentDef } from './ng.js';
import { specSpellingOf } from './spellings.js';
import type { ComponentDef, ComponentKind } from './types.js';

/**
 * The catalog: an immutable value holding the definitions of every kind (sources, sinks, decorators,
 * output formats, and the agent file's channels, interceptors, channel selectors and sink processors),
 * given as an explicit list (nothing registers itself on import; plugins are loaded into it by
 * catalog/plugins.ts). Tests and sandboxes derive narrower or
 * wider catalogs with `with` and `without`, the way Benthos environments are cloned.
 *
 * Both front ends look components up here: a spec by name (`lookup`), an agent file by type
 * (`agentFind`). A source or sink defined by its agent-file properties also gets its spec spelling
 * (catalog/spellings.ts) unless a spec component already has that name. Components look output formats
 * up here too (`format`), so a plugin's format serves every sink that takes a format.
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

/** Anything the catalog holds. */
export type CatalogEntry = ComponentDef | AgentDef | FormatDef;

/** What an agent file names with `type =`, by the section it is in. */
export type AgentKind = 'source' | 'sink' | 'channel' | 'interceptor' | 'selector' | 'processor';

const AGENT_KIND: Record<AgentDef['kind'], AgentKind> = {
  'ng-source': 'source',
  'ng-sink': 'sink',
  channel: 'channel',
  interceptor: 'interceptor',
  selector: 'selector',
  processor: 'processor',
};

/** An agent-file type resolved: a property-defined component, or a spec component bound by properties. */
export type AgentFound = { agent: AgentDef; def?: undefined } | { def: ComponentDef; agent?: undefined };

export function isAgentDef(e: CatalogEntry): e is AgentDef {
  return e.kind in AGENT_KIND;
}

export function isFormatDef(e: CatalogEntry): e is FormatDef {
  return e.kind === 'format';
}

function keyOf(e: CatalogEntry): string {
  return isAgentDef(e) ? `${e.kind}:${e.type}` : `${e.kind}:${e.name}`;
}

export class Catalog implements FormatLookup {
  /** As given: what `with` and `without` derive from. */
  readonly entries: readonly CatalogEntry[];
  private readonly defs: ComponentDef[] = [];
  private readonly agentDefs: AgentDef[] = [];
  private readonly formatDefs: FormatDef[] = [];
  /** kind -> name or alias -> def. */
  private readonly byName = new Map<ComponentKind, Map<string, ComponentDef>>();

  constructor(entries: readonly CatalogEntry[]) {
    this.entries = [...entries];
    for (const e of this.entries) {
      if (isAgentDef(e)) this.agentDefs.push(e);
      else if (isFormatDef(e)) this.formatDefs.push(e);
      else this.defs.push(e);
    }
    this.checkAgentTypes();
    this.checkFormats();
    for (const kind of KINDS) this.byName.set(kind, new Map());
    // A spec namesake (exec, syslogTcp, avro) is the spec spelling already: no second one differing in case.
    const taken = new Set(
      this.defs.flatMap((d) => [d.name, ...(d.aliases ?? [])].map((n) => `${d.kind}:${n.toLowerCase()}`)),
    );
    for (const a of this.agentDefs) {
      if (a.kind !== 'ng-source' && a.kind !== 'ng-sink') continue;
      const spelled = a.kind === 'ng-source' ? specSpellingOf(a) : specSpellingOf(a);
      if (spelled && !taken.has(`${spelled.kind}:${spelled.name.toLowerCase()}`)) this.defs.push(spelled);
    }
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
  with(...defs: CatalogEntry[]): Catalog {
    const replaced = new Set(defs.map(keyOf));
    return new Catalog([...this.entries.filter((d) => !replaced.has(keyOf(d))), ...defs]);
  }

  /**
   * What an agent file's `type` names in a section: a property-defined type first (matched without
   * case, as Flume NG does), else a spec component of that kind by its name (sources and sinks).
   */
  agentFind(kind: AgentKind, type: string): AgentFound | undefined {
    const t = type.toLowerCase();
    const agent = this.agentDefs.find(
      (d) =>
        AGENT_KIND[d.kind] === kind &&
        (d.type.toLowerCase() === t || d.aliases?.some((a) => a.toLowerCase() === t)),
    );
    if (agent) return { agent };
    if (kind !== 'source' && kind !== 'sink') return undefined;
    const def = this.find(kind, type, { ignoreCase: true });
    return def && def.agentType === undefined ? { def } : undefined;
  }

  /**
   * The output format named `name` (or an alias): exact for a spec's format argument, `ignoreCase` for
   * an agent file's serializer names (Flume NG's `text`, `TEXT`); SLUICE_SPEC_BAD_ARGUMENT suggesting
   * the closest name when unknown.
   */
  format(name: string, opts: { ignoreCase?: boolean } = {}): FormatDef {
    return findFormatIn(this.formatDefs, name, opts);
  }

  /** The output formats, in the order given. */
  formats(): readonly FormatDef[] {
    return this.formatDefs;
  }

  /** The property-defined entries of one agent kind, in the order given. */
  agentList(kind: AgentKind): AgentDef[] {
    return this.agentDefs.filter((d) => AGENT_KIND[d.kind] === kind);
  }

  /**
   * Every type name an agent file may write per section, property-defined ones first: a spec namesake
   * that differs only in case (exec, syslogTcp) is the same type to the user, so it is listed once.
   */
  agentTypes(): Record<AgentKind, string[]> {
    const names = (kind: AgentKind) => this.agentList(kind).flatMap((d) => [d.type, ...(d.aliases ?? [])]);
    const union = (a: string[], b: string[]) => {
      const seen = new Set<string>();
      return [...a, ...b].filter((t) => !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
    };
    const spec = (kind: 'source' | 'sink') =>
      this.list(kind)
        .filter((d) => d.agentType === undefined)
        .map((d) => d.name);
    return {
      source: union(names('source'), spec('source')),
      sink: union(names('sink'), spec('sink')),
      channel: names('channel'),
      interceptor: names('interceptor'),
      selector: names('selector'),
      processor: names('processor'),
    };
  }

  /** Two formats may not share a name or alias (matched without case: agent files ignore it). */
  private checkFormats(): void {
    const seen = new Map<string, FormatDef>();
    for (const f of this.formatDefs)
      for (const n of [f.name, ...(f.aliases ?? [])]) {
        const other = seen.get(n.toLowerCase());
        if (other && other !== f)
          throw new SluiceError(
            'SLUICE_INTERNAL',
            `catalog: format name "${n}" is used by both "${other.name}" and "${f.name}"`,
          );
        seen.set(n.toLowerCase(), f);
      }
  }

  /** Two property-defined types of one section may not share a name (matched without case). */
  private checkAgentTypes(): void {
    const seen = new Map<string, AgentDef>();
    for (const d of this.agentDefs) {
      for (const n of [d.type, ...(d.aliases ?? [])]) {
        const k = `${AGENT_KIND[d.kind]}:${n.toLowerCase()}`;
        const other = seen.get(k);
        if (other && other !== d)
          throw new SluiceError(
            'SLUICE_INTERNAL',
            `catalog: ${AGENT_KIND[d.kind]} type "${n}" is used by both "${other.type}" and "${d.type}"`,
          );
        seen.set(k, d);
      }
    }
  }

  /**
   * A new catalog without the named definitions: a plain name removes that name of every kind
   * (`console` is both a source and a sink), `{ kind, name }` removes only one.
   */
  without(...names: (string | { kind: ComponentKind | AgentKind | 'format'; name: string })[]): Catalog {
    const plain = new Set<string>();
    const qualified = new Set<string>();
    for (const n of names) {
      if (typeof n === 'string') plain.add(n);
      else qualified.add(`${n.kind}:${n.name}`);
    }
    const name = (e: CatalogEntry) => (isAgentDef(e) ? e.type : e.name);
    return new Catalog(
      this.entries.filter(
        (e) =>
          !plain.has(name(e)) &&
          !qualified.has(`${AGENT_KIND[e.kind as AgentDef['kind']] ?? e.kind}:${name(e)}`),
      ),
    );
  }

  get size(): number {
    return this.entries.length;
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
