import { ByteWriter } from '../core/byte-writer.js';
import { SluiceError } from '../core/errors.js';
import { AvroClient, type AvroClientOptions } from '../rpc/avro/client.js';
import { AVRO_SOURCE_PROTOCOL_JSON, type AvroProtocol, protocolFromJson } from '../rpc/avro/protocols.js';
import { type AnyHandler, handler } from '../rpc/avro/server.js';
import type { Reader } from '../rpc/avro/wire.js';
import { type AckStore, processAcks } from './ack-store.js';

/**
 * The ack wire without a master (docs/reliability.md, "Ack wire"): Sluice's collector protocol is
 * AvroSourceProtocol with one more message,
 *
 *   array<string> checkAck(array<string> tags)   -- answers the tags of `tags` that are acknowledged
 *
 * spoken on the collector's own Avro port. The server picks it by the hash the client names in the
 * Avro handshake, so Flume NG and Spark clients (which name AvroSourceProtocol) are answered exactly
 * as before, no extra port is opened, and the port's TLS, token and connection limits apply as they are.
 */
const base = JSON.parse(AVRO_SOURCE_PROTOCOL_JSON) as {
  types: unknown[];
  messages: Record<string, unknown>;
  namespace: string;
};

export const COLLECTOR_PROTOCOL_JSON = JSON.stringify({
  protocol: 'SluiceCollectorProtocol',
  namespace: base.namespace,
  types: base.types,
  messages: {
    ...base.messages,
    checkAck: {
      request: [{ name: 'tags', type: { type: 'array', items: 'string' } }],
      response: { type: 'array', items: 'string' },
    },
  },
});

export const collectorProtocol: AvroProtocol = protocolFromJson(COLLECTOR_PROTOCOL_JSON);

/** At most this many tags per checkAck request or answer (a few per agent are in flight at once). */
export const MAX_TAGS_PER_CHECK = 10_000;

function readTags(r: Reader): string[] {
  const out: string[] = [];
  for (let n = r.blockCount(); n > 0; n = r.blockCount()) {
    if (out.length + n > MAX_TAGS_PER_CHECK) {
      throw new SluiceError('SLUICE_FORMAT', `checkAck with more than ${MAX_TAGS_PER_CHECK} tags`);
    }
    for (let i = 0; i < n; i++) out.push(r.string());
  }
  return out;
}

function writeTags(w: ByteWriter, tags: readonly string[]): void {
  if (tags.length > 0) {
    w.long(tags.length);
    for (const t of tags) w.string(t);
  }
  w.long(0);
}

/** The server's checkAck handler, answering from `store`. */
export function checkAckHandlers(store: AckStore = processAcks): Record<string, AnyHandler> {
  return {
    checkAck: handler<string[], string[]>({
      decode: (r) => readTags(r),
      handle: (tags) => store.check(tags),
      encode: writeTags,
    }),
  };
}

/**
 * What an agent asks which of its groups are acknowledged: the collector it sent them to (without a
 * master) or the master (src/master/ack-client.ts), which every collector of the fleet reports to.
 */
export interface AckClient {
  checkAck(tags: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Asks one collector, on its own Avro port, which of an agent's groups are acknowledged. */
export class CollectorAckClient implements AckClient {
  private readonly client: AvroClient;

  constructor(opts: Omit<AvroClientOptions, 'protocol'>) {
    this.client = new AvroClient({ ...opts, protocol: collectorProtocol, maxInFlight: 1 });
  }

  get address(): string {
    return this.client.address;
  }

  async checkAck(tags: readonly string[]): Promise<string[]> {
    const acked: string[] = [];
    for (let i = 0; i < tags.length; i += MAX_TAGS_PER_CHECK) {
      const w = new ByteWriter(256);
      writeTags(w, tags.slice(i, i + MAX_TAGS_PER_CHECK));
      for (const t of await this.client.call('checkAck', w.finish(), readTags)) acked.push(t);
    }
    return acked;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
