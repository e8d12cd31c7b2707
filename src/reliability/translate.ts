import { checkPort } from '../catalog/ports.js';
import type { SiteConfig } from '../core/config.js';
import { SluiceError } from '../core/errors.js';
import type { Call, KeywordArg, Literal, NodeSpec, Pos, SinkNode, Spec } from '../spec/ast.js';
import { parseSink } from '../spec/parser.js';
import { printLiteral, quoteJava } from '../spec/printer.js';

/**
 * The agent sinks of Flume OG are translations: each is a composition of simpler sinks and decorators
 * (the seed's "Translations of High-level Sources and Sinks"). This is the one table of them, as spec
 * text rewrites, so what runs is what `sluice validate --translate` prints.
 *
 * `logicalSink` of the seed becomes `rpcSink(host, port)`: without a master the collector is named
 * directly. Keyword arguments of the agent sink (batchSize, requestTimeout, ssl ...) go to every
 * rpcSink of the rewrite.
 */
export type ReliabilityMode = 'E2E' | 'DFO' | 'BE';

export interface Translation {
  sink: string;
  mode: ReliabilityMode;
  /** `collector`: ("host"[, port]); `chain`: ("h1[:p1]", "h2[:p2]", ...). */
  shape: 'collector' | 'chain';
  /**
   * true: compiling a spec replaces the sink by its rewrite. false: a sink of that name is in the catalog
   * and runs as itself (the best-effort sinks also count what they drop), the rewrite is only shown.
   */
  applied: boolean;
  /** The rewrite, given each collector's sink (`rpcSink("h", 35853)`). */
  rewrite(collectors: string[]): string;
}

/** The seed's agent-side collector hop: opened on first use, reopened once when an append fails. */
const hop = (c: string) => `{ lazyOpen => { stubbornAppend => ${c} } }`;

/** `< c1 ? < c2 ? c3 > >`: each collector tried in order, the earlier ones retried with backoff. */
const chain = (cs: string[]) => (cs.length === 1 ? hop(cs[0]!) : `< ${cs.map(hop).join(' ? ')} >`);

/** The seed's disk-failover shape: the primary, else spill and resend to the primary with backoff. */
const dfo = (primary: string) =>
  `let primary := ${primary} in < primary ? { diskFailover => { insistentOpen => primary } } >`;

// The E2E entries are shown only until the end-to-end components (ackedWriteAhead) join the catalog.
export const TRANSLATIONS: readonly Translation[] = [
  {
    sink: 'agentSink',
    mode: 'E2E',
    shape: 'collector',
    applied: false,
    rewrite: (cs) => `{ ackedWriteAhead => ${hop(cs[0]!)} }`,
  },
  {
    sink: 'agentE2ESink',
    mode: 'E2E',
    shape: 'collector',
    applied: false,
    rewrite: (cs) => `{ ackedWriteAhead => ${hop(cs[0]!)} }`,
  },
  { sink: 'agentDFOSink', mode: 'DFO', shape: 'collector', applied: true, rewrite: (cs) => dfo(hop(cs[0]!)) },
  { sink: 'agentBESink', mode: 'BE', shape: 'collector', applied: false, rewrite: (cs) => hop(cs[0]!) },
  {
    sink: 'agentE2EChain',
    mode: 'E2E',
    shape: 'chain',
    applied: false,
    rewrite: (cs) => `{ ackedWriteAhead => ${chain(cs)} }`,
  },
  { sink: 'agentDFOChain', mode: 'DFO', shape: 'chain', applied: true, rewrite: (cs) => dfo(chain(cs)) },
  { sink: 'agentBEChain', mode: 'BE', shape: 'chain', applied: false, rewrite: chain },
];

export function translationOf(sink: string): Translation | undefined {
  return TRANSLATIONS.find((t) => t.sink === sink);
}

export interface Collector {
  host: string;
  port: number;
}

/** "host", "host:port" or "[v6]:port"; the port defaults to `defaultPort`. */
export function parseCollector(
  spec: string,
  defaultPort: number,
  component: string,
  field: string,
): Collector {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(spec.trim());
  if (!m) {
    throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `"${spec}" is not host or host:port`, {
      place: { component, field },
    });
  }
  const port = m[3] !== undefined ? Number(m[3]) : defaultPort;
  return { host: (m[1] ?? m[2])!, port: checkPort(component, port, field) };
}

export interface TranslateOptions {
  /** Rewrite the sinks that run as themselves too (for display). */
  all?: boolean;
  file?: string;
}

/**
 * The rewrite of one sink call, or undefined when the call is not a translated sink. Every node of
 * the rewrite carries the call's position, so an error inside it points at what the user wrote.
 */
export function translateCall(
  call: Call,
  config: SiteConfig,
  opts: TranslateOptions = {},
): SinkNode | undefined {
  const t = translationOf(call.name);
  if (!t || (!t.applied && !opts.all)) return undefined;
  const place = {
    ...(opts.file !== undefined ? { file: opts.file } : {}),
    line: call.pos.line,
    column: call.pos.column,
    component: call.name,
  };
  const bad = (msg: string, field: string) =>
    new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', msg, { place: { ...place, field } });
  const forwarded: KeywordArg[] = [];
  const named = new Map<string, Literal>();
  for (const kw of call.kwargs) {
    if (kw.name === 'host' || kw.name === 'port') named.set(kw.name, kw.value);
    else forwarded.push(kw);
  }
  let collectors: Collector[];
  try {
    collectors = collectorsOf(t, call, named, config, bad);
  } catch (e) {
    // Address errors (a port out of range) are about the call the user wrote: give them its place.
    if (e instanceof SluiceError && e.place?.line === undefined)
      throw new SluiceError(e.code, e.message, {
        place: { ...place, field: e.place?.field ?? 'host' },
        cause: e,
      });
    throw e;
  }
  const extra = forwarded.map((kw) => `, ${kw.name}=${printLiteral(kw.value)}`).join('');
  const sinks = collectors.map((c) => `rpcSink(${quoteJava(c.host)}, ${c.port}${extra})`);
  return at(parseSink(t.rewrite(sinks), opts.file), call.pos);
}

function collectorsOf(
  t: Translation,
  call: Call,
  named: ReadonlyMap<string, Literal>,
  config: SiteConfig,
  bad: (msg: string, field: string) => SluiceError,
): Collector[] {
  const defaultPort = config.getInt('flume.collector.port');
  if (t.shape === 'collector') {
    if (call.args.length > 2)
      throw bad(`${call.name} takes ("host"[, port]), got ${call.args.length} arguments`, 'host');
    const host = call.args[0] ?? named.get('host');
    const port = call.args[1] ?? named.get('port');
    if (host !== undefined && host.kind !== 'string') throw bad('host must be a string', 'host');
    if (port !== undefined && port.kind !== 'int') throw bad('port must be an integer', 'port');
    const c = parseCollector(
      (host?.value as string | undefined) ?? config.getString('flume.collector.event.host'),
      defaultPort,
      call.name,
      'host',
    );
    if (port !== undefined) c.port = checkPort(call.name, port.value as number, 'port');
    return [c];
  }
  if (call.args.length === 0) throw bad(`${call.name} needs at least one collector`, 'collectors');
  return call.args.map((a) => {
    if (a.kind !== 'string') throw bad('each collector is a string "host[:port]"', 'collectors');
    return parseCollector(a.value, defaultPort, call.name, 'collectors');
  });
}

/** A spec with every translated sink replaced by its rewrite (`all`: the shown-only ones too). */
export function translateSpec(spec: Spec, config: SiteConfig, opts: TranslateOptions = {}): Spec {
  return { nodes: spec.nodes.map((n): NodeSpec => ({ ...n, sink: translateTree(n.sink, config, opts) })) };
}

function translateTree(node: SinkNode, config: SiteConfig, opts: TranslateOptions): SinkNode {
  switch (node.type) {
    case 'call':
      return translateCall(node.call, config, opts) ?? node;
    case 'ref':
      return node;
    case 'fanout':
      return { ...node, children: node.children.map((c) => translateTree(c, config, opts)) };
    case 'decorated':
    case 'roll':
      return { ...node, child: translateTree(node.child, config, opts) };
    case 'failover':
      return {
        ...node,
        primary: translateTree(node.primary, config, opts),
        backup: translateTree(node.backup, config, opts),
      };
    case 'let':
      return {
        ...node,
        value: translateTree(node.value, config, opts),
        body: translateTree(node.body, config, opts),
      };
  }
}

/** The rewrite's nodes, moved to the position of the call they replace. */
function at(node: SinkNode, pos: Pos): SinkNode {
  const call = (c: Call): Call => ({
    ...c,
    pos,
    args: c.args.map((a) => ({ ...a, pos })),
    kwargs: c.kwargs.map((k) => ({ ...k, pos, value: { ...k.value, pos } })),
  });
  switch (node.type) {
    case 'call':
      return { ...node, pos, call: call(node.call) };
    case 'ref':
      return { ...node, pos };
    case 'fanout':
      return { ...node, pos, children: node.children.map((c) => at(c, pos)) };
    case 'decorated':
      return { ...node, pos, decorator: call(node.decorator), child: at(node.child, pos) };
    case 'roll':
      return { ...node, pos, call: call(node.call), child: at(node.child, pos) };
    case 'failover':
      return { ...node, pos, primary: at(node.primary, pos), backup: at(node.backup, pos) };
    case 'let':
      return { ...node, pos, value: at(node.value, pos), body: at(node.body, pos) };
  }
}
