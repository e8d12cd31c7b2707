import { SluiceError } from '../core/errors.js';
import type { NgSinkDef, NgSourceDef } from './ng.js';
import { ComponentProperties, type PropertySpec } from './properties.js';
import type { ArgValue, BoundArgs, ParamSpec, SinkDef, SourceDef } from './types.js';

/**
 * The two spellings of one definition. A component defined by its agent-file properties (Flume NG's
 * names) is named from a spec with keyword arguments whose names are those properties in camelCase
 * (`max-connections` -> `maxConnections`, `hdfs.path` -> `hdfsPath`); its required properties may also
 * be given positionally, in the order they are declared. A component defined by its spec parameters is
 * named from an agent file with properties spelled as its parameters (or their `property` names).
 */

/** The keyword a spec writes for an agent-file property. */
export function keywordOf(property: string): string {
  return property.replace(/[-._]+([\p{L}\p{N}])/gu, (_, c: string) => c.toUpperCase());
}

/** The agent-file key of a parameter (its NG name, else its own name). */
export function propertyOf(p: ParamSpec): string {
  return p.property ?? p.name;
}

const PARAM_TYPE = { int: 'int', float: 'float', bool: 'bool', string: 'string', list: 'string' } as const;

function typedDefault(p: PropertySpec): ArgValue | undefined {
  if (p.default === undefined) return undefined;
  if (p.type === 'int' || p.type === 'float') {
    const n = Number(p.default);
    return p.default !== '' && Number.isFinite(n) ? n : undefined;
  }
  if (p.type === 'bool') return /^true$/i.test(p.default);
  return p.default;
}

/** The spec parameters of a property schema (wildcard keys like `filegroups.*` have none). */
export function paramsOfProperties(props: readonly PropertySpec[]): ParamSpec[] {
  const plain = props.filter((p) => !p.name.endsWith('.*'));
  const ordered = [...plain.filter((p) => p.required), ...plain.filter((p) => !p.required)];
  return ordered.map((p) => {
    const param: ParamSpec = {
      name: keywordOf(p.name),
      type: PARAM_TYPE[p.type],
      docs: p.docs,
      property: p.name,
    };
    if (!p.required) {
      param.optional = true;
      const d = typedDefault(p);
      // A list default is written as a string; a spec gives it as one string too.
      if (d !== undefined && !(p.type === 'int' && !Number.isInteger(d))) param.default = d;
    }
    return param;
  });
}

/** Bound spec arguments as the agent-file properties they spell (what both front ends then check alike). */
export function propertiesOf(params: readonly ParamSpec[], args: BoundArgs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) {
    const v = args.value(p.name);
    if (v !== undefined) out[propertyOf(p)] = String(v);
  }
  return out;
}

/**
 * The spec spelling of a property-defined source or sink: a catalog definition whose build turns the
 * bound arguments back into properties and checks them with the same ComponentProperties as an agent
 * file does, so both front ends produce the same component. Undefined when the component says why a
 * spec cannot name it.
 */
export function specSpellingOf(def: NgSourceDef): SourceDef | undefined;
export function specSpellingOf(def: NgSinkDef): SinkDef | undefined;
export function specSpellingOf(def: NgSourceDef | NgSinkDef): SourceDef | SinkDef | undefined {
  if (def.specUnavailable !== undefined) return undefined;
  const params = paramsOfProperties(def.properties);
  const toProps = (args: BoundArgs) => propertiesOf(params, args);
  const create = <T>(make: (props: ComponentProperties) => T, args: BoundArgs, component: string): T => {
    try {
      return make(new ComponentProperties(component, def.properties, toProps(args)));
    } catch (e) {
      // The agent-file check names the property; a spec wrote the keyword.
      const field = e instanceof SluiceError ? e.place?.field : undefined;
      const p = field !== undefined ? params.find((q) => q.property === field) : undefined;
      if (!(e instanceof SluiceError) || p === undefined) throw e;
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', e.message, {
        place: { component, field: p.name },
        cause: e,
      });
    }
  };
  const base = { name: def.type, docs: def.docs, params, agentType: def.type };
  if (def.kind === 'ng-source')
    return {
      ...base,
      kind: 'source',
      build: (args, ctx) => create((p) => def.create(p, ctx), args, def.type),
    };
  return {
    ...base,
    kind: 'sink',
    build: (args, ctx) =>
      create(
        (p) => {
          const sink = def.create(p, ctx);
          if (typeof (sink as { append?: unknown }).append !== 'function')
            throw new SluiceError(
              'SLUICE_SPEC_BAD_ARGUMENT',
              `${def.type} drains a channel: name it in an agent file`,
            );
          return sink as ReturnType<SinkDef['build']>;
        },
        args,
        def.type,
      ),
  };
}
