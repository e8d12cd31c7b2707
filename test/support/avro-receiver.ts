import type { Event } from '../../src/core/event.js';
import { avroSourceHandlers } from '../../src/rpc/avro/flume-protocol.js';
import { avroSourceProtocol, Status } from '../../src/rpc/avro/protocols.js';
import { AvroServer } from '../../src/rpc/avro/server.js';

/**
 * A receiving AvroSourceProtocol server for tests: counts each body it was sent, remembers one
 * header per body, and which client connections (address:port) delivered, so a test can tell a
 * sink that kept its connection from one that reconnected.
 */
export class AvroReceiver {
  readonly counts = new Map<string, number>();
  readonly headers = new Map<string, Record<string, string>>();
  readonly peers = new Set<string>();
  private readonly server: AvroServer;

  constructor() {
    this.server = new AvroServer({
      protocol: avroSourceProtocol,
      handlers: avroSourceHandlers((events, peer) => {
        this.peers.add(`${peer.address}:${peer.port}`);
        for (const e of events) this.take(e);
        return Status.OK;
      }),
      port: 0,
      host: '127.0.0.1',
    });
  }

  private take(e: Event): void {
    const body = e.bodyText();
    this.counts.set(body, (this.counts.get(body) ?? 0) + 1);
    const attrs: Record<string, string> = {};
    for (const [k, v] of e.attrEntries()) attrs[k] = v.toString();
    this.headers.set(body, attrs);
  }

  listen(): Promise<number> {
    return this.server.listen();
  }

  /** Distinct bodies received. */
  get distinct(): number {
    return this.counts.size;
  }

  /** Bodies received more than once. */
  duplicates(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([b]) => b);
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
