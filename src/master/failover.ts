import { isSluiceError, SluiceError } from '../core/errors.js';
import { callMaster, type MasterAddress, type MasterTls, parseAddress } from './wire.js';

/**
 * Several masters sharing one store (flume.master.servers): a call goes to the master that answered
 * last; when that one does not answer (refused connection, timeout) the same call goes to the next in
 * the list, and so on once around. A master that answers with a refusal (a wrong token, a name claimed
 * twice) is not a dead one: its answer stands.
 */
export class MasterFailover {
  private current = 0;

  constructor(
    readonly masters: readonly MasterAddress[],
    /** Told when the calls move from one master to another. */
    private readonly moved?: (from: MasterAddress, to: MasterAddress, why: SluiceError) => void,
  ) {
    if (masters.length === 0) throw new SluiceError('SLUICE_CONFIG', 'no master address given');
  }

  /** `host[:port],host[:port],...`; a name without a port takes `defaultPort`. */
  static parse(
    list: string,
    defaultPort: number,
    token: string | undefined,
    moved?: (from: MasterAddress, to: MasterAddress, why: SluiceError) => void,
    tls?: MasterTls,
  ): MasterFailover {
    const names = list
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return new MasterFailover(
      names.map((n) => ({ ...parseAddress(n, defaultPort), token, tls })),
      moved,
    );
  }

  /** The master calls go to now. */
  get address(): MasterAddress {
    return this.masters[this.current]!;
  }

  /** `host:port, host:port` for messages. */
  describe(): string {
    return this.masters.map((m) => `${m.host}:${m.port}`).join(', ');
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    let failure: SluiceError | undefined;
    for (let i = 0; i < this.masters.length; i++) {
      const at = (this.current + i) % this.masters.length;
      try {
        const reply = await callMaster<T>(this.masters[at]!, method, path, body, timeoutMs);
        if (at !== this.current) {
          const from = this.address;
          this.current = at;
          if (failure !== undefined) this.moved?.(from, this.address, failure);
        }
        return reply;
      } catch (e) {
        if (!isSluiceError(e) || !e.retriable) throw e;
        failure ??= e;
      }
    }
    if (this.masters.length === 1) throw failure!;
    throw new SluiceError('SLUICE_RPC', `no master answered (${this.describe()}): ${failure!.message}`, {
      retriable: true,
      cause: failure,
    });
  }
}
