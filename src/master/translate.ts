import type { Call, NodeSpec, SinkNode } from '../spec/ast.js';
import { parseSink, parseSource } from '../spec/parser.js';
import { printCall, printSink, quoteJava } from '../spec/printer.js';
import { chainOrder } from './chains.js';
import { DEFAULT_FLOW, flowOf } from './flows.js';
import type { LogicalConfig, MasterData } from './store.js';

/**
 * The master's translations (the seed's "Logical Configurations"): what a user enters names logical
 * nodes, what a node runs names hosts and ports. `logicalSource` and a port-less `collectorSource`
 * get a port the master assigns per physical node; `logicalSink("n")` becomes `rpcSink` to wherever n
 * runs; `auto*Chain` becomes `agent*Chain` over the live collectors of the agent's flow. What cannot be
 * resolved becomes `fail("why")`, a sink that keeps its node waiting until the master can do better.
 */

/** What translation keeps in the master's state, so another master translates the same way. */
export interface TranslationState {
  /** Logical node -> its flow id (absent: the default flow). */
  flows: Record<string, string>;
  /** Logical node -> the port the master assigned to its logicalSource or collectorSource. */
  ports: Record<string, number>;
  /** Physical node -> the address its peers reach it at (from its heartbeats). */
  addresses: Record<string, string>;
  /** Logical node -> what was last handed to it: the translated spec and the version it runs under. */
  translated: Record<string, { configVersion: number; version: number; spec: string }>;
  /**
   * The collectors the translation left out as lost (sorted): decided by the leading master from the
   * fleet, stored so the other masters translate the same way (leader.ts).
   */
  lost?: string[];
  /**
   * Physical node -> ports another process holds there (a node reported it could not listen on the
   * port the master assigned): port assignment skips them. The most recent HELD_PORTS_KEPT per node.
   */
  held?: Record<string, number[]>;
}

/** How many held ports are remembered per physical node (older ones are tried again). */
export const HELD_PORTS_KEPT = 32;

/**
 * Records that another process holds `port` on `physical`, when it is the port the master assigned to
 * `logical` there; true when it was news (then translating again moves the node to another port).
 */
export function recordHeldPort(
  data: MasterData,
  physical: string,
  logical: string,
  port: number,
  keep: (obj: Record<string, unknown>, key: string) => void = () => undefined,
): boolean {
  const t = translationOf(data);
  if (t.ports[logical] !== port) return false;
  const now = t.held?.[physical] ?? [];
  if (now.includes(port)) return false;
  keep(t as unknown as Record<string, unknown>, 'held');
  t.held = { ...t.held, [physical]: [...now, port].slice(-HELD_PORTS_KEPT) };
  return true;
}

export function emptyTranslation(): TranslationState {
  return { flows: {}, ports: {}, addresses: {}, translated: {} };
}

/** The state's translation part, created in a state stored before translations existed. */
export function translationOf(data: MasterData): TranslationState {
  data.translation ??= emptyTranslation();
  const t = data.translation;
  t.flows ??= {};
  t.ports ??= {};
  t.addresses ??= {};
  t.translated ??= {};
  return t;
}

export const AUTO_CHAINS: Readonly<Record<string, string>> = {
  autoE2EChain: 'agentE2EChain',
  autoDFOChain: 'agentDFOChain',
  autoBEChain: 'agentBEChain',
};

export interface TranslateContext {
  /** The first port assigned on each physical node (flume.collector.port). */
  basePort: number;
  /** Logical nodes whose physical node missed its heartbeats: not offered as collectors. */
  lost: ReadonlySet<string>;
  /** Called before each write to the state, with the object and key written (the change's undo record). */
  keep?: (obj: Record<string, unknown>, key: string) => void;
}

/** A collector the auto chains may use: a mapped, live logical node with a collectorSource. */
export interface CollectorAt {
  name: string;
  flow: string;
  address: string;
  port: number;
}

interface Parsed {
  config: LogicalConfig;
  node: NodeSpec;
  physical: string | undefined;
  /** The printed spec when translation leaves the node as entered (nothing logical in it). */
  plain: string | undefined;
}

/** The port a node's source listens on, as entered (undefined: the master assigns it, or none). */
function enteredPort(source: Call): number | undefined {
  if (source.name !== 'collectorSource' && source.name !== 'rpcSource') return undefined;
  const a = source.args[0] ?? source.kwargs.find((k) => k.name === 'port')?.value;
  return a?.kind === 'int' ? a.value : undefined;
}

function needsPort(source: Call): boolean {
  return (
    source.name === 'logicalSource' ||
    (source.name === 'collectorSource' && enteredPort(source) === undefined)
  );
}

/**
 * Configurations parsed once: a LogicalConfig's text never changes in place (a new text is a new
 * object), so a fleet is not parsed again on every command. A node with nothing to translate keeps its
 * printed spec too: most of a fleet, which is then not printed again on every change either.
 */
const parsedConfigs = new WeakMap<LogicalConfig, { node: NodeSpec; plain: string | undefined }>();

function parsedConfig(c: LogicalConfig): { node: NodeSpec; plain: string | undefined } {
  let p = parsedConfigs.get(c);
  if (p === undefined) {
    const pos = { line: 1, column: 1, offset: 0 };
    const node: NodeSpec = { name: c.name, source: parseSource(c.source), sink: parseSink(c.sink), pos };
    const logical = needsPort(node.source) || hasLogicalSink(node.sink) || hasAutoChain(node.sink);
    p = {
      node,
      plain: logical ? undefined : `${c.name} : ${printCall(node.source)} | ${printSink(node.sink)} ;`,
    };
    parsedConfigs.set(c, p);
  }
  return p;
}

/**
 * Recomputes every logical node's translation and records the changed ones under a new version (a
 * node's version is its configuration's while the translation of that configuration is unchanged).
 * Returns the names whose translation changed; `data` is updated in place.
 */
export function retranslate(data: MasterData, ctx: TranslateContext): string[] {
  const t = translationOf(data);
  const keep = ctx.keep ?? (() => undefined);
  const physicalOf = new Map<string, string>();
  for (const physical in data.mappings) for (const l of data.mappings[physical]!) physicalOf.set(l, physical);
  const parsed = new Map<string, Parsed>();
  for (const name in data.configs) {
    const c = data.configs[name]!;
    const { node, plain } = parsedConfig(c);
    parsed.set(c.name, { config: c, node, physical: physicalOf.get(c.name), plain });
  }
  assignPorts(parsed, t, ctx.basePort, keep);
  const lost = [...ctx.lost].sort();
  if ((t.lost ?? []).join(',') !== lost.join(',')) {
    keep(t as unknown as Record<string, unknown>, 'lost');
    t.lost = lost;
  }
  const collectors = collectorsOf(parsed, t, ctx);
  const agents = autoAgents(parsed, t);
  const changed: string[] = [];
  for (const [name, p] of parsed) {
    let spec = p.plain;
    if (spec === undefined) {
      const n = translateNode(p, parsed, t, collectors, agents);
      spec = `${name} : ${printCall(n.source)} | ${printSink(n.sink)} ;`;
    }
    const prior = t.translated[name];
    if (prior !== undefined && prior.configVersion === p.config.version && prior.spec === spec) continue;
    keep(t.translated, name);
    let version = p.config.version;
    if (prior?.configVersion === p.config.version) {
      keep(data as unknown as Record<string, unknown>, 'nextVersion');
      version = data.nextVersion++;
    }
    t.translated[name] = { configVersion: p.config.version, version, spec };
    changed.push(name);
  }
  for (const name in t.translated)
    if (!parsed.has(name)) {
      keep(t.translated, name);
      delete t.translated[name];
    }
  return changed;
}

/**
 * Ports per physical node, from `basePort` up: a node keeps its port while no other node on the same
 * physical node listens there, so translating again (or moving back) does not move its peers.
 */
function assignPorts(
  parsed: ReadonlyMap<string, Parsed>,
  t: TranslationState,
  basePort: number,
  keep: (obj: Record<string, unknown>, key: string) => void,
): void {
  const byPhysical = new Map<string, Parsed[]>();
  for (const p of parsed.values()) {
    if (p.physical === undefined || (!needsPort(p.node.source) && enteredPort(p.node.source) === undefined))
      continue;
    const list = byPhysical.get(p.physical);
    if (list === undefined) byPhysical.set(p.physical, [p]);
    else list.push(p);
  }
  for (const [physical, list] of byPhysical) {
    const taken = new Set<number>(t.held?.[physical]);
    for (const p of list) {
      const port = enteredPort(p.node.source);
      if (port !== undefined) taken.add(port);
    }
    const wanting = list
      .filter((p) => needsPort(p.node.source))
      .sort((a, b) => a.config.name.localeCompare(b.config.name));
    const fresh: Parsed[] = [];
    for (const p of wanting) {
      const kept = t.ports[p.config.name];
      if (kept !== undefined && !taken.has(kept)) taken.add(kept);
      else fresh.push(p);
    }
    let next = basePort;
    for (const p of fresh) {
      while (taken.has(next)) next++;
      keep(t.ports, p.config.name);
      t.ports[p.config.name] = next;
      taken.add(next);
    }
  }
  for (const name in t.ports)
    if (!parsed.has(name)) {
      keep(t.ports, name);
      delete t.ports[name];
    }
}

/** Where a logical node listens, or why it cannot be reached. */
function listening(
  name: string,
  parsed: ReadonlyMap<string, Parsed>,
  t: TranslationState,
): { address: string; port: number } | string {
  const p = parsed.get(name);
  if (p === undefined) return `logical node ${name} is not configured`;
  if (p.physical === undefined) return `logical node ${name} is not mapped`;
  const address = t.addresses[p.physical];
  if (address === undefined) return `physical node ${p.physical} of ${name} has not heartbeated yet`;
  const port = enteredPort(p.node.source) ?? (needsPort(p.node.source) ? t.ports[name] : undefined);
  if (port === undefined) return `logical node ${name} has no logicalSource or collectorSource`;
  return { address, port };
}

function collectorsOf(
  parsed: ReadonlyMap<string, Parsed>,
  t: TranslationState,
  ctx: TranslateContext,
): CollectorAt[] {
  const out: CollectorAt[] = [];
  for (const [name, p] of parsed) {
    if (p.node.source.name !== 'collectorSource' || ctx.lost.has(name)) continue;
    const at = listening(name, parsed, t);
    if (typeof at !== 'string') out.push({ name, flow: flowOf(t, name), ...at });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Each auto-chain agent's place among those of its flow in name order: it spreads the chains. */
function autoAgents(parsed: ReadonlyMap<string, Parsed>, t: TranslationState): Map<string, number> {
  const byFlow = new Map<string, string[]>();
  for (const [name, p] of parsed) {
    if (!hasAutoChain(p.node.sink)) continue;
    const flow = flowOf(t, name);
    const list = byFlow.get(flow);
    if (list === undefined) byFlow.set(flow, [name]);
    else list.push(name);
  }
  const place = new Map<string, number>();
  for (const list of byFlow.values()) {
    list.sort((a, b) => a.localeCompare(b));
    for (let i = 0; i < list.length; i++) place.set(list[i]!, i);
  }
  return place;
}

function hasLogicalSink(node: SinkNode): boolean {
  let found = false;
  mapCalls(node, (c) => {
    if (c.name === 'logicalSink') found = true;
    return undefined;
  });
  return found;
}

function hasAutoChain(node: SinkNode): boolean {
  let found = false;
  mapCalls(node, (c) => {
    if (Object.hasOwn(AUTO_CHAINS, c.name)) found = true;
    return undefined;
  });
  return found;
}

const failSink = (why: string): SinkNode => parseSink(`fail(${quoteJava(why)})`);

function translateNode(
  p: Parsed,
  parsed: ReadonlyMap<string, Parsed>,
  t: TranslationState,
  collectors: readonly CollectorAt[],
  agents: ReadonlyMap<string, number>,
): NodeSpec {
  const name = p.config.name;
  let source = p.node.source;
  const port = t.ports[name];
  if (p.physical !== undefined && port !== undefined && needsPort(source))
    source = parseSource(source.name === 'logicalSource' ? `rpcSource(${port})` : `collectorSource(${port})`);
  const sink = mapCalls(p.node.sink, (c) => {
    if (c.name === 'logicalSink') {
      const target = c.args[0]?.kind === 'string' ? c.args[0].value : '';
      const at = listening(target, parsed, t);
      if (typeof at === 'string') return failSink(`logicalSink: ${at}`);
      return parseSink(`rpcSink(${quoteJava(at.address)}, ${at.port})`);
    }
    const chain = AUTO_CHAINS[c.name];
    if (chain === undefined || !Object.hasOwn(AUTO_CHAINS, c.name)) return undefined;
    const flow = flowOf(t, name);
    const mine = collectors.filter((k) => k.flow === flow && k.name !== name);
    if (mine.length === 0)
      return failSink(`${c.name}: no collectors in flow ${flow === DEFAULT_FLOW ? '(default)' : flow}`);
    const ordered = chainOrder(mine.length, agents.get(name) ?? 0).map((i) => mine[i]!);
    return parseSink(`${chain}(${ordered.map((k) => quoteJava(`${k.address}:${k.port}`)).join(', ')})`);
  });
  return { ...p.node, source, sink };
}

/** The sink tree with each call `f` answers for replaced (undefined: kept). */
export function mapCalls(node: SinkNode, f: (c: Call) => SinkNode | undefined): SinkNode {
  switch (node.type) {
    case 'call':
      return f(node.call) ?? node;
    case 'ref':
      return node;
    case 'fanout':
      return { ...node, children: node.children.map((c) => mapCalls(c, f)) };
    case 'decorated':
    case 'roll':
      return { ...node, child: mapCalls(node.child, f) };
    case 'failover':
      return { ...node, primary: mapCalls(node.primary, f), backup: mapCalls(node.backup, f) };
    case 'let':
      return { ...node, value: mapCalls(node.value, f), body: mapCalls(node.body, f) };
  }
}
