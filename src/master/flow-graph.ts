import { translationOf as agentSinkTranslation } from '../reliability/translate.js';
import type { Call, Literal, SinkNode } from '../spec/ast.js';
import { parseSpec } from '../spec/parser.js';
import { CounterRate } from '../web/counter-rate.js';
import type {
  FlowGroup,
  FlowLink,
  FlowLinkKind,
  FlowLinkState,
  FlowNodeBox,
  FlowPicture,
} from '../web/flow-picture.js';
import { configSpec, type Master, type NodeStatus } from './master.js';

/**
 * The picture of the flows as data (web/flow-picture.ts draws it): every logical node in the group of
 * the physical node that runs it, and a link for every way events leave a node for another one:
 * `logicalSink("n")` (logical), a sink naming a host and port (rpc: rpcSink, avroSink, the agent
 * sinks) to the node whose source listens there, and every collector of a chain (agent*Chain, the
 * translated auto*Chain) or failover, the first choice marked primary.
 *
 * Links are read from the translated specs, the ones the nodes run, so a port is the one the node
 * really listens on and a sink's report component is found at its place in that text. Listeners are
 * indexed by port, so a fleet of n nodes costs O(n) per picture; parsed specs are kept while their
 * text is unchanged.
 */

/** Sinks that send to one receiver named by host and port (the agent sinks default both). */
const DIRECT_SINKS = new Set([
  'rpcSink',
  'avroSink',
  'avro',
  'agentSink',
  'agentE2ESink',
  'agentDFOSink',
  'agentBESink',
]);
const CHAIN_SINKS = new Set(['agentE2EChain', 'agentDFOChain', 'agentBEChain']);
const LISTENING_SOURCES = new Set(['rpcSource', 'collectorSource', 'avroSource']);
/** States in which a node neither sends nor receives: a link touching one is down. */
const DOWN_STATES = new Set(['LOST', 'ERROR', 'DECOMMISSIONED']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

type Target = { node: string } | { host: string | undefined; port: number };

/** One link a node's spec makes, before its target is resolved. */
interface Send {
  kind: FlowLinkKind;
  target: Target;
  primary?: boolean;
  /** The report component that counts what the sink sent: its names, most specific first. */
  component: string[];
  /** One of a chain sink's collectors: the sink's rate goes to the first of them that is up. */
  chain?: true;
  /** The master could not resolve it (a fail sink stands in). */
  waiting: boolean;
}

interface ParsedNode {
  text: string;
  sends: Send[];
  listens: number | undefined;
}

/** A node's sinks' rates by report component, from the events out of its heartbeats' reports. */
type SinkRates = ReadonlyMap<string, CounterRate>;

/** The heartbeat a node's rates were last read from. */
interface Sample {
  seen: number;
  sinks: SinkRates;
}

export interface FlowGraphOptions {
  /** The port of a sink that names none (flume.collector.port). */
  defaultPort?: number;
}

export class FlowGraph {
  private readonly parsed = new Map<string, ParsedNode>();
  private readonly samples = new Map<string, Sample>();
  private readonly defaultPort: number;

  constructor(
    private readonly master: Master,
    opts: FlowGraphOptions = {},
  ) {
    this.defaultPort = opts.defaultPort ?? 35853;
  }

  /** The picture now; each call also takes the nodes' latest heartbeat reports as rate samples. */
  picture(): FlowPicture {
    const m = this.master;
    const status = new Map<string, NodeStatus>();
    for (const s of m.nodeStatus()) if (s.state !== 'DECOMMISSIONED') status.set(s.name, s);
    const flows = m.flows();
    const addresses = m.data.translation?.addresses ?? {};
    const translations = m.translations();
    const configs = m.configs();

    const boxes = new Map<string, { box: FlowNodeBox; physical: string }>();
    const groups: FlowGroup[] = [];
    const box = (name: string, physical: string): FlowNodeBox => {
      const s = status.get(name);
      const b: FlowNodeBox = {
        name,
        state: s?.state ?? (physical === '' ? 'UNMAPPED' : 'UNKNOWN'),
        version: s?.version ?? 0,
      };
      const flow = flows[name];
      if (flow !== undefined) b.flow = flow;
      boxes.set(name, { box: b, physical });
      return b;
    };
    const mappings = m.mappings();
    for (const physical of Object.keys(mappings).sort()) {
      const names = [...mappings[physical]!].sort();
      const host = names.map((n) => status.get(n)?.host).find((h) => h) ?? addresses[physical] ?? '';
      groups.push({ physical, host, nodes: names.map((n) => box(n, physical)) });
    }
    const unmapped = configs.filter((c) => !boxes.has(c.name)).map((c) => box(c.name, ''));
    if (unmapped.length > 0) groups.push({ physical: '', host: '', nodes: unmapped });

    // Parse what changed, index the listeners by port.
    const specs = new Map<string, ParsedNode>();
    const listeners = new Listeners();
    for (const c of configs) {
      const entered = configSpec(c);
      // Both texts key the cache: a logicalSink and the rpcSink it became translate alike.
      const text = `${translations[c.name]?.spec ?? entered}\n${entered}`;
      let p = this.parsed.get(c.name);
      if (p === undefined || p.text !== text) {
        p = this.parse(translations[c.name]?.spec ?? entered, entered);
        p.text = text;
        this.parsed.set(c.name, p);
      }
      specs.set(c.name, p);
      const physical = boxes.get(c.name)?.physical ?? '';
      if (p.listens !== undefined && physical !== '') {
        const host = status.get(c.name)?.host ?? physical;
        listeners.add(p.listens, { name: c.name, address: addresses[physical] }, host);
      }
    }
    for (const name of this.parsed.keys()) if (!specs.has(name)) this.parsed.delete(name);

    const links: FlowLink[] = [];
    for (const [name, p] of specs) {
      const rates = this.sample(name, status.get(name));
      const fromState = boxes.get(name)?.box.state ?? 'UNKNOWN';
      // A chain's events go to its first collector that is up; the others get none.
      const carried = new Set<string>();
      for (const send of p.sends) {
        const to = listeners.resolve(send.target);
        if (to === undefined || !boxes.has(to)) continue;
        const toState = boxes.get(to)!.box.state;
        let rate = DOWN_STATES.has(fromState) ? 0 : rateOf(rates, send.component);
        if (send.chain !== undefined) {
          const key = send.component[0]!;
          if (carried.has(key) || DOWN_STATES.has(toState)) rate = 0;
          else carried.add(key);
        }
        const link: FlowLink = {
          from: name,
          to,
          kind: send.kind,
          eventsPerSec: rate,
          state: linkState(send.waiting, fromState, toState),
        };
        if (send.primary !== undefined) link.primary = send.primary;
        links.push(link);
      }
    }
    for (const name of this.samples.keys()) if (!specs.has(name)) this.samples.delete(name);
    return { groups, links };
  }

  /** The node's sink rates, taking its report as a new reading when a new heartbeat brought it. */
  private sample(name: string, s: NodeStatus | undefined): SinkRates | undefined {
    const prior = this.samples.get(name);
    const report = s?.report;
    if (s === undefined || report === undefined || prior?.seen === s.lastSeen) return prior?.sinks;
    // Kept by sink, so a sink gone from the report is forgotten and one new to it starts without a rate.
    const sinks = new Map<string, CounterRate>();
    for (const c of report.components) {
      if (c.kind !== 'sink') continue;
      const rate = prior?.sinks.get(c.name) ?? new CounterRate();
      rate.read(c.eventsOut, s.lastSeen);
      sinks.set(c.name, rate);
    }
    this.samples.set(name, { seen: s.lastSeen, sinks });
    return sinks;
  }

  private parse(text: string, entered: string): ParsedNode {
    let node: ReturnType<typeof parseSpec>['nodes'][number] | undefined;
    let as: SinkNode | undefined;
    try {
      node = parseSpec(text).nodes[0];
      as = parseSpec(entered).nodes[0]?.sink;
    } catch {
      // Specs reach the master checked; one that does not parse here simply draws no links.
    }
    if (node === undefined) return { text, sends: [], listens: undefined };
    const sends: Send[] = [];
    this.walk(node.sink, as, undefined, sends);
    return { text, sends, listens: listeningPort(node.source) };
  }

  /**
   * Collects the links of a sink tree. `entered` is the same tree as the user wrote it (a translation
   * replaces calls by calls, so both trees have one shape): it tells a logicalSink from an rpcSink.
   * `primary`: inside a failover, whether this is its first choice.
   */
  private walk(
    node: SinkNode,
    entered: SinkNode | undefined,
    primary: boolean | undefined,
    out: Send[],
  ): void {
    switch (node.type) {
      case 'call': {
        const call = node.call;
        const component = componentNames(call);
        const was = entered?.type === 'call' ? entered.call : undefined;
        if (was?.name === 'logicalSink') {
          const target = stringArg(was, 0, 'node');
          if (target !== undefined)
            out.push({
              kind: 'logical',
              target: { node: target },
              component,
              waiting: call.name === 'fail',
              ...(primary !== undefined ? { primary } : {}),
            });
          return;
        }
        if (DIRECT_SINKS.has(call.name)) {
          out.push({
            kind: primary === undefined ? 'rpc' : 'chain',
            target: hostPort(
              stringArg(call, 0, 'host') ?? stringArg(call, 0, 'hostname'),
              intArg(call),
              this.defaultPort,
            ),
            component,
            waiting: false,
            ...(primary !== undefined ? { primary } : {}),
          });
          return;
        }
        if (CHAIN_SINKS.has(call.name)) {
          call.args.forEach((a, index) => {
            if (a.kind !== 'string') return;
            out.push({
              kind: 'chain',
              target: hostPort(a.value, undefined, this.defaultPort),
              primary: index === 0 && primary !== false,
              component,
              chain: true,
              waiting: false,
            });
          });
        }
        return;
      }
      case 'ref':
        return;
      case 'fanout':
        for (const [i, c] of node.children.entries())
          this.walk(c, entered?.type === 'fanout' ? entered.children[i] : undefined, primary, out);
        return;
      case 'decorated':
      case 'roll':
        this.walk(node.child, entered?.type === node.type ? entered.child : undefined, primary, out);
        return;
      case 'failover': {
        const e = entered?.type === 'failover' ? entered : undefined;
        this.walk(node.primary, e?.primary, primary ?? true, out);
        this.walk(node.backup, e?.backup, false, out);
        return;
      }
      case 'let': {
        const e = entered?.type === 'let' ? entered : undefined;
        this.walk(node.value, e?.value, primary, out);
        this.walk(node.body, e?.body, primary, out);
        return;
      }
    }
  }
}

/**
 * The report names of the sink written as `call`: a catalog name that repeats in the node carries its
 * place (`rpcSink@1:20`, compile.ts); an agent sink that runs as its rewrite reports the rpcSink of it.
 */
function componentNames(call: Call): string[] {
  const at = `${call.pos.line}:${call.pos.column}`;
  const names = [`${call.name}@${at}`, call.name];
  if (agentSinkTranslation(call.name)?.applied) names.push(`rpcSink@${at}`, 'rpcSink');
  return names;
}

/** The rate of the first of a sink's names its node reports; 0 before two readings came. */
function rateOf(rates: SinkRates | undefined, names: readonly string[]): number {
  if (rates === undefined) return 0;
  for (const n of names) {
    const r = rates.get(n);
    if (r !== undefined) return r.perSecond ?? 0;
  }
  return 0;
}

function linkState(waiting: boolean, from: string, to: string): FlowLinkState {
  if (waiting) return 'waiting';
  if (DOWN_STATES.has(from) || DOWN_STATES.has(to)) return 'down';
  return from === 'ACTIVE' && to === 'ACTIVE' ? 'active' : 'idle';
}

function argOf(call: Call, index: number, keyword: string): Literal | undefined {
  return call.args[index] ?? call.kwargs.find((k) => k.name === keyword)?.value;
}

function stringArg(call: Call, index: number, keyword: string): string | undefined {
  const a = argOf(call, index, keyword);
  return a?.kind === 'string' ? a.value : undefined;
}

function intArg(call: Call): number | undefined {
  const a = argOf(call, 1, 'port');
  return a?.kind === 'int' ? a.value : undefined;
}

/** "host", "host:port" or "[v6]:port" (as the agent sinks read them), the port given apart winning. */
function hostPort(spec: string | undefined, port: number | undefined, defaultPort: number): Target {
  const m = spec === undefined ? null : /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(spec.trim());
  const host = m ? (m[1] ?? m[2]) : spec;
  return { host, port: port ?? (m?.[3] !== undefined ? Number(m[3]) : defaultPort) };
}

function listeningPort(source: Call): number | undefined {
  if (!LISTENING_SOURCES.has(source.name)) return undefined;
  const a = argOf(source, 0, 'port');
  return a?.kind === 'int' ? a.value : undefined;
}

interface Listener {
  name: string;
  address: string | undefined;
}

/** Where logical nodes listen: by port, and by port with address or host name, so a lookup is O(1). */
class Listeners {
  private readonly byPort = new Map<number, Listener[]>();
  private readonly byPlace = new Map<string, Listener>();

  add(port: number, l: Listener, host: string): void {
    const list = this.byPort.get(port);
    if (list === undefined) this.byPort.set(port, [l]);
    else list.push(l);
    // Two listeners at one address and port is a conflict the later one fails on (master.md): the
    // arrow goes to the first.
    const place = (key: string) => {
      if (!this.byPlace.has(key)) this.byPlace.set(key, l);
    };
    if (l.address !== undefined) place(`${port} ${l.address}`);
    place(`${port} ${host}`);
    if (l.address !== undefined && LOOPBACK.has(l.address)) place(`${port} loopback`);
  }

  /**
   * The logical node a send reaches: a named node, or the listener on its port whose physical node's
   * address (or host name) is the sink's host. A loopback host matches a loopback listener; a
   * listener whose address is not known yet matches when it is the only one on its port.
   */
  resolve(target: Target): string | undefined {
    if ('node' in target) return target.node;
    const host = target.host;
    if (host !== undefined) {
      const at =
        this.byPlace.get(`${target.port} ${host}`) ??
        (LOOPBACK.has(host) ? this.byPlace.get(`${target.port} loopback`) : undefined);
      if (at !== undefined) return at.name;
    }
    const on = this.byPort.get(target.port);
    return on?.length === 1 && on[0]!.address === undefined ? on[0]!.name : undefined;
  }
}
