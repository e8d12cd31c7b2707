import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SiteConfig } from '../core/config.js';
import { SluiceError } from '../core/errors.js';
import { Catalog, type CatalogEntry, isAgentDef, isFormatDef } from './registry.js';

/**
 * Plugins: the site property `flume.plugin.classes` names ES modules (an npm package, or a file path,
 * relative paths from the current directory) whose exports are component definitions, the same values
 * the built-in components are (a SourceDef, a DecoratorDef, an NG source or interceptor definition, a
 * channel selector, a sink processor, an output format...).
 * Every export must be a definition or an array of them, so a typo in a plugin is found at start-up,
 * not when a spec first names the component; a plugin may not take a built-in's (or another plugin's)
 * name. Every error names the module.
 */
export const PLUGIN_PROPERTY = 'flume.plugin.classes';

const SPEC_KINDS = new Set(['source', 'sink', 'decorator']);
const AGENT_KINDS = new Set(['ng-source', 'ng-sink', 'interceptor', 'channel', 'selector', 'processor']);

function pluginError(module: string, message: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_CONFIG', `plugin "${module}": ${message}`, {
    place: { field: PLUGIN_PROPERTY },
    ...(cause !== undefined ? { cause } : {}),
  });
}

function isDefinition(v: unknown): v is CatalogEntry {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  if (SPEC_KINDS.has(d.kind as string))
    return typeof d.name === 'string' && Array.isArray(d.params) && typeof d.build === 'function';
  if (AGENT_KINDS.has(d.kind as string))
    return typeof d.type === 'string' && Array.isArray(d.properties) && typeof d.create === 'function';
  if (d.kind === 'format')
    return typeof d.name === 'string' && typeof d.extension === 'string' && typeof d.create === 'function';
  return false;
}

function isFilePath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /\.(m?js|ts)$/.test(spec);
}

/** The URL to import: a file path as given, a package as resolved from the current directory. */
function moduleUrl(spec: string, cwd: string): string {
  if (isFilePath(spec)) return pathToFileURL(resolve(cwd, spec)).href;
  try {
    return pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(spec)).href;
  } catch {
    // An ESM-only package (no "require" export) resolves through import() itself.
    return spec;
  }
}

/** The definitions a plugin module exports, checked. */
export async function loadPlugin(spec: string, cwd = process.cwd()): Promise<CatalogEntry[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleUrl(spec, cwd))) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason =
      code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? 'cannot find the module'
        : `cannot load the module: ${(e as Error).message}`;
    throw pluginError(spec, reason, e);
  }
  const defs: CatalogEntry[] = [];
  for (const [name, value] of Object.entries(mod)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (!isDefinition(item))
        throw pluginError(
          spec,
          `export "${name}" is not a component definition (a source, sink, decorator, channel, interceptor, selector, processor or format definition with its kind, name or type, schema and builder)`,
        );
      defs.push(item);
    }
  }
  if (defs.length === 0) throw pluginError(spec, 'exports no component definitions');
  return defs;
}

/** The names an entry takes in the catalog, by the kind they clash within. */
function namesOf(e: CatalogEntry): { kind: string; name: string; agent: boolean }[] {
  if (isAgentDef(e))
    return [e.type, ...(e.aliases ?? [])].map((name) => ({ kind: e.kind, name, agent: true }));
  return [e.name, ...(e.aliases ?? [])].map((name) => ({ kind: e.kind, name, agent: false }));
}

function clashes(catalog: Catalog, e: CatalogEntry): string | undefined {
  if (isFormatDef(e)) {
    const taken = new Set(
      catalog.formats().flatMap((f) => [f.name, ...(f.aliases ?? [])].map((n) => n.toLowerCase())),
    );
    const name = [e.name, ...(e.aliases ?? [])].find((n) => taken.has(n.toLowerCase()));
    return name === undefined ? undefined : `format "${name}"`;
  }
  for (const { kind, name, agent } of namesOf(e)) {
    const agentKind = kind === 'ng-source' ? 'source' : kind === 'ng-sink' ? 'sink' : kind;
    if (agent && catalog.agentFind(agentKind as 'source', name)?.agent) return `${agentKind} type "${name}"`;
    if (!agent && catalog.find(kind as 'source', name)) return `${kind} "${name}"`;
  }
  return undefined;
}

/** `base` with the components of every plugin named by the site property (none: `base` itself). */
export async function withPlugins(base: Catalog, config: SiteConfig, cwd = process.cwd()): Promise<Catalog> {
  const modules = config.getList(PLUGIN_PROPERTY);
  let catalog = base;
  for (const spec of modules) {
    const defs = await loadPlugin(spec, cwd);
    for (const d of defs) {
      const clash = clashes(catalog, d);
      if (clash)
        throw pluginError(spec, `its ${clash} is already defined (built in or by an earlier plugin)`);
    }
    try {
      catalog = new Catalog([...catalog.entries, ...defs]);
    } catch (e) {
      throw pluginError(spec, (e as Error).message.replace(/^catalog: /, ''), e);
    }
  }
  return catalog;
}
