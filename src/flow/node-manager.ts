import { KEEPS_EVERY_LOG } from '../catalog/types.js';
import type { Logger } from '../core/logger.js';
import { printNode } from '../spec/printer.js';
import type { CompiledNode } from './compile.js';
import { LogicalNode, type NodeTotals } from './logical-node.js';
import type { ConfigChanges, PipelineReport } from './report.js';

/**
 * Tells a node's components that it stops for `next`, a new version of itself. When that version keeps
 * one of its node logs, or stands in for one that will (the master's `fail` sink while a flow has no
 * collector), what is pending in the log (groups not yet acknowledged) is left to it instead of being
 * waited for at close.
 */
function handOver(old: CompiledNode, next: CompiledNode): void {
  let kept = false;
  for (const log of old.nodeLogs ?? [])
    if (next.nodeLogs?.has(log) || next.nodeLogs?.has(KEEPS_EVERY_LOG)) kept = true;
  old.handOver?.(kept);
}

/**
 * The logical nodes of one physical node (one process). Each runs its own pipeline; a failure stays in
 * its node. `reconfigure` applies a new set of nodes by diff: a node whose spec prints the same is not
 * touched; a changed one is drained, then replaced; a removed one is drained and stopped.
 */
export class NodeManager {
  private readonly nodes = new Map<string, { node: LogicalNode; text: string; compiled: CompiledNode }>();
  /** The configuration version: 1 for the first set of nodes, +1 per reconfiguration. */
  version = 0;
  /** Changes as they happen, so `settled()` waits for nodes started meanwhile. */
  private generation = 0;
  /** The reconfiguration under way: nodes are draining or about to start. */
  private pending: Promise<unknown> | undefined;
  private closed = false;

  constructor(private readonly logger: Logger) {}

  /** Starts a node, stopping (draining) any previous node of the same name first. */
  async replace(compiled: CompiledNode): Promise<LogicalNode | undefined> {
    const old = this.nodes.get(compiled.name);
    if (old) {
      handOver(old.compiled, compiled);
      await old.node.stop();
    }
    return this.launch(compiled);
  }

  private launch(compiled: CompiledNode): LogicalNode | undefined {
    // A reconfiguration that finishes after stopAll() starts nothing.
    if (this.closed) return undefined;
    const node = new LogicalNode(compiled, this.logger, Math.max(this.version, 1));
    this.nodes.set(compiled.name, { node, text: printNode(compiled.spec), compiled });
    this.generation++;
    void node.start();
    return node;
  }

  /**
   * Runs exactly `compiled`, by diff with what runs now. The canonical printed form is compared, so
   * whitespace, comments and argument spelling do not count as changes. Changed and removed nodes drain
   * in parallel; the replacements start once their predecessors released their ports and files.
   */
  reconfigure(compiled: readonly CompiledNode[]): Promise<ConfigChanges> {
    const run = (this.pending ?? Promise.resolve()).then(() => this.apply(compiled));
    const done: Promise<void> = run.then(
      () => {},
      () => {},
    );
    this.pending = done;
    void done.then(() => {
      if (this.pending === done) this.pending = undefined;
    });
    this.generation++;
    return run;
  }

  private async apply(compiled: readonly CompiledNode[]): Promise<ConfigChanges> {
    const version = this.version + 1;
    const changes: ConfigChanges = {
      version,
      unchanged: [],
      replaced: [],
      rewired: [],
      added: [],
      removed: [],
    };
    const next = new Map(compiled.map((c) => [c.name, c]));
    const draining: Promise<void>[] = [];
    const start: CompiledNode[] = [];
    for (const [name, { node }] of this.nodes)
      if (!next.has(name)) {
        changes.removed.push(name);
        draining.push(node.stop());
      }
    for (const c of compiled) {
      const old = this.nodes.get(c.name);
      // A node that failed (a port in use, a directory missing) is started again even when unchanged:
      // reloading is how its operator says the cause is fixed.
      if (old && old.text === printNode(c.spec) && old.node.state !== 'ERROR') {
        changes.unchanged.push(c.name);
        old.node.version = version;
        continue;
      }
      (old ? changes.replaced : changes.added).push(c.name);
      if (old) {
        handOver(old.compiled, c);
        draining.push(old.node.stop());
      }
      start.push(c);
    }
    await Promise.all(draining);
    for (const name of changes.removed) this.nodes.delete(name);
    this.version = version;
    for (const c of start) this.launch(c);
    if (changes.removed.length > 0) this.generation++;
    return changes;
  }

  get(name: string): LogicalNode | undefined {
    return this.nodes.get(name)?.node;
  }

  list(): LogicalNode[] {
    return [...this.nodes.values()].map((n) => n.node);
  }

  /** Resolves when every node reached IDLE or ERROR (finite sources drained), nodes started meanwhile included. */
  async settled(): Promise<void> {
    for (;;) {
      const seen = this.generation;
      await Promise.all([...this.list().map((n) => n.start()), this.pending]);
      if (seen === this.generation) return;
    }
  }

  async remove(name: string): Promise<void> {
    const entry = this.nodes.get(name);
    if (!entry) return;
    this.nodes.delete(name);
    this.generation++;
    await entry.node.stop();
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all(this.list().map((n) => n.stop()));
  }

  reports(): PipelineReport[] {
    return this.list().map((n) => n.report());
  }

  totals(): NodeTotals[] {
    return this.list().map((n) => n.totals());
  }
}
