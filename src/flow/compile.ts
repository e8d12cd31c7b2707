import { bindArgs } from '../catalog/bind.js';
import type { Catalog } from '../catalog/registry.js';
import { type BuildContext, KEEPS_EVERY_LOG, type SinkDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import type { EventSink, EventSource } from '../core/pipeline.js';
import { translateCall } from '../reliability/translate.js';
import type { Call, NodeSpec, SinkNode, Spec } from '../spec/ast.js';
import { CountedSink, SinkTally } from './counted.js';
import { FailoverSink } from './failover.js';
import { FanoutSink } from './fanout.js';
import { RollSink } from './roll.js';
import { SharedSink } from './shared.js';
import { ROLL_DEF } from './special.js';

/** A logical node's spec, checked against the catalog, ready to instantiate (and re-instantiate). */
export interface CompiledNode {
  name: string;
  spec: NodeSpec;
  makeSource(): EventSource;
  /** Builds the sink tree; each catalog sink in it adds what it delivered, dropped and failed to `tally`. */
  makeSink(tally?: SinkTally): EventSink;
  /** The node logs its components keep (ComponentBase.nodeLog). */
  nodeLogs?: ReadonlySet<string>;
  /** Says that the node is stopped for a new version of itself, and whether it keeps the logs (Handover). */
  handOver?(logsKept: boolean): void;
}

export interface CompileOptions {
  catalog: Catalog;
  /** Context shared by every node; `nodeName` and `logger` are specialised per node. */
  context: BuildContext;
  /** The file the spec came from, for error places. */
  file?: string;
  /** Gathers the node logs the compiled components keep (ComponentBase.nodeLog). */
  nodeLogs?: Set<string>;
}

/** One instantiation of a sink tree: its `let` bindings (one shared instance each) and its counters. */
interface SinkEnv {
  lets: ReadonlyMap<string, SharedSink>;
  tally: SinkTally;
}

type SinkFactory = (env: SinkEnv) => EventSink;

/**
 * Checks every component name and argument of a spec (all errors carry file, line and column) and
 * returns factories. Nothing is opened here, so `sluice validate` compiles without side effects.
 */
export function compileSpec(spec: Spec, opts: CompileOptions): CompiledNode[] {
  const seen = new Map<string, NodeSpec>();
  const out: CompiledNode[] = [];
  for (const node of spec.nodes) {
    const prev = seen.get(node.name);
    if (prev)
      throw new SluiceError(
        'SLUICE_SPEC_UNBOUND',
        `node "${node.name}" is defined twice (first at line ${prev.pos.line})`,
        { place: { ...fileOf(opts), line: node.pos.line, column: node.pos.column } },
      );
    seen.set(node.name, node);
    out.push(compileNode(node, opts));
  }
  return out;
}

export function compileNode(node: NodeSpec, opts: CompileOptions): CompiledNode {
  const handover = { replaced: false, logsKept: false };
  const ctx: BuildContext = {
    ...opts.context,
    nodeName: node.name,
    logger: opts.context.logger.child(node.name),
    formats: opts.catalog,
    handover,
  };
  const nodeLogs = new Set<string>();
  const makeSource = compileSource(node.source, { ...opts, context: ctx });
  const sinkFactory = compileSinkNode(node.sink, { ...opts, context: ctx, nodeLogs }, new Set());
  return {
    name: node.name,
    spec: node,
    nodeLogs,
    makeSource,
    makeSink: (tally = new SinkTally()) => sinkFactory({ lets: new Map(), tally }),
    handOver: (logsKept) => {
      handover.replaced = true;
      handover.logsKept = logsKept;
    },
  };
}

export function compileSource(call: Call, opts: CompileOptions): () => EventSource {
  const def = opts.catalog.lookup('source', call.name, placeOf(call, opts));
  const args = bindArgs(def, call, opts.file, opts.context.config);
  const ctx = opts.context;
  return () => atPlace(() => def.build(args, ctx), call, opts);
}

/**
 * Build-time errors (a bad regex, exec refused) are about an argument of a call in the spec: give
 * them the call's line and column when the component did not name a place itself.
 */
function atPlace<T>(build: () => T, call: Call, opts: CompileOptions): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof SluiceError && e.place?.line === undefined)
      throw new SluiceError(e.code, e.message, {
        place: { ...placeOf(call, opts), ...(e.place?.field ? { field: e.place.field } : {}) },
        retriable: e.retriable,
        ...(e.detail ? { detail: e.detail } : {}),
        cause: e,
      });
    throw e;
  }
}

/** Compiles a sink tree; `scope` holds the let-bound names visible here (checked statically). */
export function compileSinkNode(
  node: SinkNode,
  opts: CompileOptions,
  scope: ReadonlySet<string>,
): SinkFactory {
  const ctx = opts.context;
  switch (node.type) {
    case 'call': {
      // An agent sink that is a composition (agentDFOSink ...) compiles as its rewrite.
      const translated = translateCall(node.call, ctx.config, fileOf(opts));
      if (translated) return compileSinkNode(translated, opts, scope);
      const def = opts.catalog.lookup('sink', node.call.name, placeOf(node.call, opts)) as SinkDef;
      if (def.nodeLog !== undefined) opts.nodeLogs?.add(def.nodeLog);
      if (def.standIn) opts.nodeLogs?.add(KEEPS_EVERY_LOG);
      const args = bindArgs(def, node.call, opts.file, ctx.config);
      const key = `${node.call.pos.line}:${node.call.pos.column}`;
      return (env) =>
        new CountedSink(
          atPlace(() => def.build(args, ctx), node.call, opts),
          env.tally.entry(key, node.call.name),
          env.tally.meter(key),
        );
    }
    case 'ref': {
      if (!scope.has(node.name))
        throw new SluiceError('SLUICE_SPEC_UNBOUND', `"${node.name}" is not bound by an enclosing let`, {
          place: { ...fileOf(opts), line: node.pos.line, column: node.pos.column },
        });
      return (env) => {
        const shared = env.lets.get(node.name);
        if (!shared)
          throw new SluiceError('SLUICE_INTERNAL', `let binding ${node.name} missing at build time`);
        return shared;
      };
    }
    case 'fanout': {
      const children = node.children.map((c) => compileSinkNode(c, opts, scope));
      return (env) => new FanoutSink(children.map((f) => f(env)));
    }
    case 'decorated': {
      const def = opts.catalog.lookup('decorator', node.decorator.name, placeOf(node.decorator, opts));
      if (def.nodeLog !== undefined) opts.nodeLogs?.add(def.nodeLog);
      const args = bindArgs(def, node.decorator, opts.file, ctx.config);
      const child = compileSinkNode(node.child, opts, scope);
      return (env) => atPlace(() => def.build(args, ctx, child(env)), node.decorator, opts);
    }
    case 'failover': {
      const primary = compileSinkNode(node.primary, opts, scope);
      const backup = compileSinkNode(node.backup, opts, scope);
      return (env) => new FailoverSink(primary(env), backup(env), { logger: ctx.logger });
    }
    case 'roll': {
      const args = bindArgs(ROLL_DEF, node.call, opts.file, ctx.config);
      const millis = args.int('millis');
      if (millis <= 0)
        throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `roll: millis must be positive, got ${millis}`, {
          place: placeOf(node.call, opts),
        });
      const child = compileSinkNode(node.child, opts, scope);
      // Each roll period builds the child anew, including any let it contains.
      return (env) => new RollSink(() => child(env), millis, ctx.logger);
    }
    case 'let': {
      const value = compileSinkNode(node.value, opts, scope);
      const body = compileSinkNode(node.body, opts, new Set([...scope, node.name]));
      return (env) => {
        const lets = new Map(env.lets);
        lets.set(node.name, new SharedSink(value(env)));
        return body({ lets, tally: env.tally });
      };
    }
  }
}

function fileOf(opts: CompileOptions): { file?: string } {
  return opts.file !== undefined ? { file: opts.file } : {};
}

function placeOf(call: Call, opts: CompileOptions) {
  return { ...fileOf(opts), line: call.pos.line, column: call.pos.column, component: call.name };
}
