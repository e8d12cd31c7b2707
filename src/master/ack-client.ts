import type { AckClient } from '../reliability/ack-service.js';
import { MAX_ACK_TAGS } from './acks.js';
import type { MasterFailover } from './failover.js';

/**
 * An end-to-end agent under a master asks the master which of its ack groups are acknowledged
 * (POST /acks/check on the heartbeat port), as Flume OG's agents did: the collector reported them with
 * its node's heartbeat, so whichever master answers (they share the store) knows them.
 */
export class MasterAckClient implements AckClient {
  constructor(
    private readonly masters: MasterFailover,
    private readonly timeoutMs: number,
  ) {}

  async checkAck(tags: readonly string[]): Promise<string[]> {
    const acked: string[] = [];
    for (let i = 0; i < tags.length; i += MAX_ACK_TAGS) {
      const reply = await this.masters.call<{ acked: string[] }>(
        'POST',
        '/acks/check',
        { tags: tags.slice(i, i + MAX_ACK_TAGS) },
        this.timeoutMs,
      );
      for (const t of reply.acked) acked.push(t);
    }
    return acked;
  }

  async close(): Promise<void> {}
}
