import { SluiceError } from '../core/errors.js';
import { type Property, parseProperties } from './properties.js';

/**
 * The agent properties format (Flume NG): `<agent>.sources = r1`, `<agent>.channels.c1.type = memory`,
 * `<agent>.sinks.k1.channel = c1`, interceptors, selectors and sink groups, parsed into a checked model.
 * Every error names the file, the line and the key.
 */
export interface ComponentConf {
  name: string;
  type: string;
  /** The component's own properties without the `<agent>.<kind>.<name>.` prefix. */
  props: PropertyBag;
}

export interface SourceConf extends ComponentConf {
  channels: string[];
  interceptors: ComponentConf[];
  /** `replicating` (default) or `multiplexing`. */
  selector: ComponentConf;
}

export interface SinkConf extends ComponentConf {
  channel: string;
}

export interface SinkGroupConf {
  name: string;
  sinks: string[];
  processor: ComponentConf;
}

export interface AgentConf {
  name: string;
  file: string;
  sources: SourceConf[];
  channels: ComponentConf[];
  sinks: SinkConf[];
  sinkgroups: SinkGroupConf[];
  /** Problems that do not stop the agent (an unused channel). */
  warnings: string[];
}

/** Type names the parser accepts for each kind, to name unknown types and list the known ones. */
export interface KnownTypes {
  source: readonly string[];
  channel: readonly string[];
  sink: readonly string[];
  interceptor: readonly string[];
  processor: readonly string[];
  selector: readonly string[];
}

/** Typed access to a component's properties; errors name file, line and the full key. */
export class PropertyBag {
  constructor(
    readonly file: string,
    /** The full key prefix, e.g. `a1.sinks.k1.`. */
    readonly prefix: string,
    private readonly props: ReadonlyMap<string, Property>,
    /** The line that declared the component (its `.type`), for errors about missing keys. */
    readonly line: number,
  ) {}

  has(key: string): boolean {
    return this.props.has(key);
  }
  keys(): string[] {
    return [...this.props.keys()];
  }
  /** Properties under `sub.` (e.g. `processor.`), as a bag of their own. */
  sub(sub: string): PropertyBag {
    const m = new Map<string, Property>();
    for (const [k, v] of this.props) if (k.startsWith(`${sub}.`)) m.set(k.slice(sub.length + 1), v);
    return new PropertyBag(this.file, `${this.prefix}${sub}.`, m, this.line);
  }
  raw(key: string): Property | undefined {
    return this.props.get(key);
  }
  string(key: string, dflt?: string): string {
    const p = this.props.get(key);
    if (p !== undefined) return p.value;
    if (dflt !== undefined) return dflt;
    throw this.error(key, `missing required property ${this.prefix}${key}`, this.line);
  }
  optString(key: string): string | undefined {
    return this.props.get(key)?.value;
  }
  int(key: string, dflt?: number, min = Number.MIN_SAFE_INTEGER): number {
    const p = this.props.get(key);
    if (p === undefined) {
      if (dflt !== undefined) return dflt;
      throw this.error(key, `missing required property ${this.prefix}${key}`, this.line);
    }
    if (!/^-?\d+$/.test(p.value))
      throw this.error(key, `${this.prefix}${key} must be an integer, got "${p.value}"`, p.line);
    const n = Number(p.value);
    if (n < min) throw this.error(key, `${this.prefix}${key} must be at least ${min}, got ${n}`, p.line);
    return n;
  }
  bool(key: string, dflt: boolean): boolean {
    const p = this.props.get(key);
    if (p === undefined) return dflt;
    const v = p.value.toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw this.error(key, `${this.prefix}${key} must be true or false, got "${p.value}"`, p.line);
  }
  oneOf<T extends string>(key: string, choices: readonly T[], dflt: T): T {
    const p = this.props.get(key);
    if (p === undefined) return dflt;
    const hit = choices.find((c) => c.toLowerCase() === p.value.toLowerCase());
    if (!hit)
      throw this.error(
        key,
        `${this.prefix}${key} must be one of ${choices.join(', ')}, got "${p.value}"`,
        p.line,
      );
    return hit;
  }
  error(key: string, message: string, line?: number): SluiceError {
    return new SluiceError('SLUICE_AGENT_CONFIG', message, {
      place: {
        file: this.file,
        line: line ?? this.props.get(key)?.line ?? this.line,
        field: `${this.prefix}${key}`,
      },
    });
  }
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const KINDS = ['sources', 'channels', 'sinks', 'sinkgroups'] as const;
type Kind = (typeof KINDS)[number];

export function parseAgentConfig(text: string, file: string, agent: string, known: KnownTypes): AgentConf {
  const all = parseProperties(text, file);
  const mine = all.filter((p) => p.key.startsWith(`${agent}.`));
  if (mine.length === 0) {
    const agents = [...new Set(all.map((p) => p.key.split('.')[0]))].filter(Boolean);
    throw new SluiceError(
      'SLUICE_AGENT_CONFIG',
      `no properties for agent "${agent}" (this file configures: ${agents.join(', ') || 'nothing'})`,
      { place: { file } },
    );
  }
  const err = (p: Property, message: string) =>
    new SluiceError('SLUICE_AGENT_CONFIG', message, { place: { file, line: p.line, field: p.key } });

  const lists = new Map<Kind, { names: string[]; prop: Property }>();
  const perComponent = new Map<string, Map<string, Property>>();
  for (const p of mine) {
    const parts = p.key.slice(agent.length + 1).split('.');
    const kind = parts[0] as Kind;
    if (!KINDS.includes(kind)) {
      throw err(p, `unknown key ${p.key}: after "${agent}." expected one of ${KINDS.join(', ')}`);
    }
    if (parts.length === 1) {
      lists.set(kind, { names: nameList(p, err), prop: p });
      continue;
    }
    if (parts.length < 3)
      throw err(p, `incomplete key ${p.key}: expected ${agent}.${kind}.<name>.<property>`);
    const id = `${kind}.${parts[1]}`;
    let m = perComponent.get(id);
    if (!m) perComponent.set(id, (m = new Map()));
    m.set(parts.slice(2).join('.'), p);
  }

  const bagOf = (kind: Kind, name: string, line: number) =>
    new PropertyBag(
      file,
      `${agent}.${kind}.${name}.`,
      perComponent.get(`${kind}.${name}`) ?? new Map(),
      line,
    );

  // Components with properties but not listed are almost always a typo in the list.
  for (const [id, props] of perComponent) {
    const [kind, name] = [id.slice(0, id.indexOf('.')) as Kind, id.slice(id.indexOf('.') + 1)];
    const list = lists.get(kind);
    if (!list?.names.includes(name)) {
      const first = [...props.values()].sort((a, b) => a.line - b.line)[0]!;
      throw err(
        first,
        `${kind.replace(/s$/, '')} "${name}" is configured but not listed in ${agent}.${kind}` +
          (list ? ` (listed: ${list.names.join(' ')})` : ` (add: ${agent}.${kind} = ${name})`),
      );
    }
  }

  const typed = (
    kind: Kind,
    name: string,
    knownTypes: readonly string[],
    listProp: Property,
  ): ComponentConf => {
    const props = perComponent.get(`${kind}.${name}`);
    const t = props?.get('type');
    if (!t) {
      throw err(
        listProp,
        `${kind.replace(/s$/, '')} "${name}" has no type: add ${agent}.${kind}.${name}.type`,
      );
    }
    checkType(t, knownTypes, kind.replace(/s$/, ''), err);
    return { name, type: t.value, props: bagOf(kind, name, t.line) };
  };

  const channelList = lists.get('channels');
  const channels = (channelList?.names ?? []).map((n) =>
    typed('channels', n, known.channel, channelList!.prop),
  );
  const channelNames = new Set(channels.map((c) => c.name));
  const checkChannel = (p: Property, name: string) => {
    if (!channelNames.has(name))
      throw err(
        p,
        `channel "${name}" does not exist` +
          (channelNames.size > 0
            ? ` (channels: ${[...channelNames].join(' ')})`
            : ` (${agent}.channels lists none)`),
      );
  };

  const sourceList = lists.get('sources');
  const sources: SourceConf[] = (sourceList?.names ?? []).map((n) => {
    const c = typed('sources', n, known.source, sourceList!.prop);
    const chProp = c.props.raw('channels');
    if (!chProp)
      throw c.props.error(
        'channels',
        `source "${n}" is bound to no channel: add ${agent}.sources.${n}.channels`,
      );
    const chans = nameList(chProp, err);
    for (const ch of chans) checkChannel(chProp, ch);
    const interceptors = c.props.has('interceptors')
      ? nameList(c.props.raw('interceptors')!, err).map((i) => {
          const bag = c.props.sub(`interceptors.${i}`);
          const t = bag.raw('type');
          if (!t)
            throw c.props.error(
              'interceptors',
              `interceptor "${i}" has no type: add ${agent}.sources.${n}.interceptors.${i}.type`,
            );
          checkType(t, known.interceptor, 'interceptor', err);
          return { name: i, type: t.value, props: bag };
        })
      : [];
    const selBag = c.props.sub('selector');
    const selType = selBag.raw('type');
    if (selType) checkType(selType, known.selector, 'selector', err);
    return {
      ...c,
      channels: chans,
      interceptors,
      selector: { name: 'selector', type: selType?.value ?? 'replicating', props: selBag },
    };
  });

  const sinkList = lists.get('sinks');
  const sinks: SinkConf[] = (sinkList?.names ?? []).map((n) => {
    const c = typed('sinks', n, known.sink, sinkList!.prop);
    const chProp = c.props.raw('channel');
    if (!chProp)
      throw c.props.error('channel', `sink "${n}" is bound to no channel: add ${agent}.sinks.${n}.channel`);
    const names = nameList(chProp, err);
    if (names.length !== 1) throw err(chProp, `a sink takes from exactly one channel, got "${chProp.value}"`);
    checkChannel(chProp, names[0]!);
    return { ...c, channel: names[0]! };
  });

  const groupList = lists.get('sinkgroups');
  const sinkNames = new Set(sinks.map((s) => s.name));
  const grouped = new Map<string, string>();
  const sinkgroups: SinkGroupConf[] = (groupList?.names ?? []).map((g) => {
    const bag = bagOf('sinkgroups', g, groupList!.prop.line);
    const sp = bag.raw('sinks');
    if (!sp) throw bag.error('sinks', `sink group "${g}" lists no sinks: add ${agent}.sinkgroups.${g}.sinks`);
    const members = nameList(sp, err);
    for (const m of members) {
      if (!sinkNames.has(m))
        throw err(sp, `sink group "${g}" names sink "${m}", which is not in ${agent}.sinks`);
      const other = grouped.get(m);
      if (other) throw err(sp, `sink "${m}" is already in sink group "${other}"`);
      grouped.set(m, g);
    }
    const proc = bag.sub('processor');
    const pt = proc.raw('type');
    if (pt) checkType(pt, known.processor, 'sink processor', err);
    return {
      name: g,
      sinks: members,
      processor: { name: 'processor', type: pt?.value ?? 'default', props: proc },
    };
  });

  const warnings: string[] = [];
  const used = new Set([...sources.flatMap((s) => s.channels), ...sinks.map((s) => s.channel)]);
  for (const c of channels)
    if (!used.has(c.name)) warnings.push(`${file}: channel "${c.name}" is not used by any source or sink`);
  if (sources.length === 0 && sinks.length === 0)
    throw new SluiceError('SLUICE_AGENT_CONFIG', `agent "${agent}" has no sources and no sinks`, {
      place: { file },
    });
  return { name: agent, file, sources, channels, sinks, sinkgroups, warnings };
}

function nameList(p: Property, err: (p: Property, m: string) => SluiceError): string[] {
  const names = p.value.split(/\s+/).filter(Boolean);
  if (names.length === 0) throw err(p, `${p.key} is empty: expected one or more names separated by spaces`);
  for (const n of names) {
    if (!NAME.test(n)) {
      const hint = p.value.includes('=')
        ? ` (the value contains "=": did you mean "${p.key} = ${p.value.split('=')[0]!.trim()}"?)`
        : '';
      throw err(p, `"${n}" is not a valid name in ${p.key}${hint}`);
    }
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw err(p, `${p.key} names "${dup}" twice`);
  return names;
}

function checkType(
  p: Property,
  known: readonly string[],
  what: string,
  err: (p: Property, m: string) => SluiceError,
): void {
  if (known.some((k) => k.toLowerCase() === p.value.toLowerCase())) return;
  throw err(p, `unknown ${what} type "${p.value}"; known types: ${[...known].sort().join(', ')}`);
}
