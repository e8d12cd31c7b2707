import { SiteConfig } from '../core/config.js';
import { type Place, SluiceError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import type { Call, Literal, Pos } from '../spec/ast.js';
import { quoteJava } from '../spec/printer.js';
import { parseValue } from './properties.js';
import type { Catalog, DefOf } from './registry.js';
import { type ArgValue, BoundArgs, type ComponentDef, type ComponentKind, type ParamSpec } from './types.js';

/**
 * Binds a call's arguments to a definition's parameters: positional ones in order (extra ones go to a
 * variadic last parameter), then keyword ones by name; absent optional parameters take their default
 * or their site-config default. Types are strict except that an int is accepted where a float is
 * declared. Errors are SLUICE_SPEC_BAD_ARGUMENT at the offending argument, with the signature as detail.
 */

type Schema = Pick<ComponentDef, 'name' | 'params'>;

export function bindArgs(def: Schema, call: Call, file?: string, config?: SiteConfig): BoundArgs {
  const params = def.params;
  const last = params[params.length - 1];
  const variadic = last?.variadic ? last : undefined;
  const fixed = variadic ? params.slice(0, -1) : params;
  const values = new Map<string, ArgValue | ArgValue[]>();
  const fail = (message: string, pos: Pos): never => {
    const place: Place = { line: pos.line, column: pos.column };
    if (file !== undefined) place.file = file;
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', message, { place, detail: signature(def) });
  };
  const given = call.args.length + call.kwargs.length;

  call.args.forEach((lit, i) => {
    const p = i < fixed.length ? fixed[i] : variadic;
    if (p === undefined) fail(`${def.name} expects ${arity(def)}, got ${given}`, lit.pos);
    const value = convert(def.name, p!, `${i + 1} (${p!.name})`, lit, fail);
    if (p === variadic)
      ((values.get(p!.name) as ArgValue[] | undefined) ?? setList(values, p!.name)).push(value);
    else values.set(p!.name, value);
  });

  for (const kw of call.kwargs) {
    const p = params.find((q) => q.name === kw.name);
    if (p === undefined) {
      fail(
        `${def.name} has no parameter "${kw.name}"${didYouMean(
          kw.name,
          params.map((q) => q.name),
        )}`,
        kw.pos,
      );
    }
    if (values.has(kw.name)) fail(`${def.name}: argument ${kw.name} is given twice`, kw.pos);
    const value = convert(def.name, p!, kw.name, kw.value, fail);
    values.set(kw.name, p === variadic ? [value] : value);
  }

  for (const [i, p] of params.entries()) {
    if (values.has(p.name)) continue;
    if (isRequired(p)) {
      // Without keyword arguments a count says it best; with them, name what is still missing.
      if (call.kwargs.length === 0) fail(`${def.name} expects ${arity(def)}, got ${given}`, call.pos);
      fail(`${def.name}: missing argument ${i + 1} (${p.name})`, call.pos);
    }
    if (p.default !== undefined) values.set(p.name, p.default);
    else if (p.configDefault !== undefined)
      values.set(p.name, fromConfig(p, config ?? SiteConfig.defaults()));
  }
  return new BoundArgs(def.name, values);
}

/** Looks a call up in the catalog and binds its arguments: what the flow compiler does for every call. */
export function resolveCall<K extends ComponentKind>(
  catalog: Catalog,
  kind: K,
  call: Call,
  opts: { file?: string; config?: SiteConfig } = {},
): { def: DefOf<K>; args: BoundArgs } {
  const def = catalog.lookup(kind, call.name, call.pos, opts.file !== undefined ? { file: opts.file } : {});
  return { def, args: bindArgs(def, call, opts.file, opts.config) };
}

/** `tail(filename: string[, startFromEnd: bool = false])`: nested brackets, as positions are sequential. */
export function signature(def: Schema): string {
  let text = `${def.name}(`;
  let open = 0;
  def.params.forEach((p, i) => {
    const sep = i === 0 ? '' : ', ';
    let piece = `${p.name}: ${p.type}${p.variadic ? '...' : ''}`;
    if (p.default !== undefined) piece += ` = ${showValue(p.default)}`;
    else if (p.configDefault !== undefined) piece += ` = \${${p.configDefault}}`;
    if (isRequired(p)) text += sep + piece;
    else {
      text += `[${sep}${piece}`;
      open++;
    }
  });
  return `${text}${']'.repeat(open)})`;
}

function isRequired(p: ParamSpec): boolean {
  return !(p.optional || p.default !== undefined || p.configDefault !== undefined);
}

/** `1 argument`, `1 to 2 arguments`, `at least 1 argument`, `no arguments`. */
function arity(def: Schema): string {
  let min = 0;
  let max = 0;
  for (const p of def.params) {
    if (isRequired(p)) min++;
    max = p.variadic ? Number.POSITIVE_INFINITY : max + 1;
  }
  const n = (k: number) => `${k} argument${k === 1 ? '' : 's'}`;
  if (max === 0) return 'no arguments';
  if (max === Number.POSITIVE_INFINITY) return `at least ${n(min)}`;
  if (min === max) return n(min);
  return `${min} to ${max} arguments`;
}

const ARTICLE: Record<ParamSpec['type'], string> = {
  string: 'a string',
  int: 'an int',
  float: 'a float',
  bool: 'a bool',
};

function convert(
  component: string,
  p: ParamSpec,
  label: string,
  lit: Literal,
  fail: (message: string, pos: Pos) => never,
): ArgValue {
  const ok =
    p.type === 'float'
      ? lit.kind === 'float' || lit.kind === 'int'
      : p.type === 'bool'
        ? lit.kind === 'bool'
        : lit.kind === p.type;
  if (!ok)
    fail(`${component}: argument ${label} must be ${ARTICLE[p.type]}, got ${describeLiteral(lit)}`, lit.pos);
  return lit.value;
}

function describeLiteral(lit: Literal): string {
  if (lit.kind === 'string') {
    const v = lit.value.length > 40 ? `${lit.value.slice(0, 37)}...` : lit.value;
    return `string ${quoteJava(v)}`;
  }
  return `${lit.kind} ${lit.value}`;
}

function showValue(v: ArgValue): string {
  return typeof v === 'string' ? quoteJava(v) : String(v);
}

function fromConfig(p: ParamSpec, config: SiteConfig): ArgValue {
  const key = p.configDefault!;
  switch (p.type) {
    case 'int':
      return config.getInt(key);
    case 'float':
      return config.getFloat(key);
    case 'bool':
      return config.getBool(key);
    case 'string':
      return config.getString(key);
  }
}

function setList(values: Map<string, ArgValue | ArgValue[]>, name: string): ArgValue[] {
  const list: ArgValue[] = [];
  values.set(name, list);
  return list;
}

/** An agent file's properties of one component, as the agent-file front end reads them. */
export interface PropertyInput {
  /** `<agent>.sources.r1.`: how errors name a key. */
  readonly prefix: string;
  optString(key: string): string | undefined;
  /** An error at the key's file and line. */
  error(key: string, message: string): SluiceError;
  /** Every key given, so an unknown one can be warned about. */
  keys?(): string[];
}

/**
 * Keys of the agent itself (wiring, sub-components, the sink runner's batch size), not of the
 * component's schema.
 */
const AGENT_KEYS = /^(type|channel|channels|batch-size|batchSize)$|^(interceptors|selector)(\.|$)/;

/**
 * Binds a definition's parameters from agent-file properties (`type = tail`, `filename = /var/log/x`):
 * the agent-file front end of the same schema `bindArgs` reads a spec call with, producing the same
 * typed values. Each parameter is read under its `property` name, its aliases, then its own name; a
 * variadic one takes a space-separated list. Errors are at the key's file and line.
 */
export function bindProperties(
  def: Schema,
  props: PropertyInput,
  config?: SiteConfig,
  warn?: (message: string) => void,
): BoundArgs {
  const values = new Map<string, ArgValue | ArgValue[]>();
  if (warn && props.keys) {
    const known = new Set(
      def.params.flatMap((p) => [p.property ?? p.name, ...(p.propertyAliases ?? []), p.name]),
    );
    for (const k of props.keys())
      if (!known.has(k) && !AGENT_KEYS.test(k))
        warn(`${props.prefix}${k}: ${def.name} has no property "${k}" (ignored)${didYouMean(k, known)}`);
  }
  for (const p of def.params) {
    const keys = [p.property ?? p.name, ...(p.propertyAliases ?? []), p.name];
    const key = keys.find((k) => props.optString(k) !== undefined) ?? keys[0]!;
    const raw = props.optString(key);
    if (raw === undefined) {
      if (p.default !== undefined) values.set(p.name, p.default);
      else if (p.configDefault !== undefined)
        values.set(p.name, fromConfig(p, config ?? SiteConfig.defaults()));
      else if (isRequired(p) && !p.variadic)
        throw props.error(key, `${def.name} needs ${props.prefix}${key}`);
      continue;
    }
    const convert = (s: string): ArgValue => {
      const v = parseValue(p.type, s);
      if (typeof v === 'object')
        throw props.error(key, `${props.prefix}${key} must be ${v.expected}, got "${s}"`);
      return v;
    };
    values.set(p.name, p.variadic ? raw.split(/\s+/).filter(Boolean).map(convert) : convert(raw));
  }
  return new BoundArgs(def.name, values);
}
