import type { Logger } from '../core/logger.js';
import type { CompiledNode } from './compile.js';
import { LogicalNode, type NodeReport } from './logical-node.js';

/**
 * The logical nodes of one physical node (one process). Each runs its own pipeline; a failure stays in
 * its node. `replace` swaps a node's pipeline (the master sent a new config) without touching others.
 */
export class NodeManager {
  private readonly nodes = new Map<string, LogicalNode>();

  constructor(private readonly logger: Logger) {}

  /** Starts a node, stopping any previous node of the same name first. */
  async replace(compiled: CompiledNode): Promise<LogicalNode> {
    const old = this.nodes.get(compiled.name);
    if (old) await old.stop();
    const node = new LogicalNode(compiled, this.logger);
    this.nodes.set(compiled.name, node);
    void node.start();
    return node;
  }

  get(name: string): LogicalNode | undefined {
    return this.nodes.get(name);
  }

  list(): LogicalNode[] {
    return [...this.nodes.values()];
  }

  /** Resolves when every node reached IDLE or ERROR (finite sources drained). */
  async settled(): Promise<void> {
    await Promise.all(this.list().map((n) => n.start()));
  }

  async remove(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node) return;
    this.nodes.delete(name);
    await node.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list().map((n) => n.stop()));
  }

  reports(): NodeReport[] {
    return this.list().map((n) => n.report());
  }
}
