import { asSluiceError, SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { isTagList, MAX_ACK_TAGS } from './acks.js';
import type { Heartbeat, Master } from './master.js';
import { CONTROL_LIMITS, type ControlServer, type Reply, startControlServer } from './wire.js';

export interface MasterServerOptions {
  bind: string;
  heartbeatPort: number;
  adminPort: number;
  token?: string | undefined;
  /** Heartbeats handled at once; more are told to come back (503, Retry-After). Default 256. */
  maxHeartbeats?: number | undefined;
  /** The wait a refused heartbeat is told; default 1000 ms. */
  retryAfterMs?: number | undefined;
  /** Overrides of HEARTBEAT_CONNECTIONS (tests). */
  heartbeatConnections?: Partial<typeof HEARTBEAT_CONNECTIONS> | undefined;
  /** PEM key and certificate: both control ports speak HTTPS only. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  logger: Logger;
}

export const DEFAULT_MAX_HEARTBEATS = 256;

/**
 * The heartbeat port's connections: each node keeps one open from a heartbeat to the next (no connect
 * per heartbeat), for up to `keepAliveConnections` nodes; past that, replies close their connection, so
 * the port never holds more than it can accept. An idle connection is closed after `idleTimeoutMs`
 * (three of the default 5 s periods: a node that stopped heartbeating is LOST by then).
 */
export const HEARTBEAT_CONNECTIONS: Readonly<{
  maxConnections: number;
  keepAliveConnections: number;
  idleTimeoutMs: number;
}> = { maxConnections: 8192, keepAliveConnections: 6144, idleTimeoutMs: 15_000 };

const bad = (error: string): Reply => ({ status: 400, body: { error } });
const notFound = (path: string): Reply => ({ status: 404, body: { error: `no such request: ${path}` } });

function isName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 256;
}

/** Checks a heartbeat's shape: it comes from the network. */
function asHeartbeat(body: unknown): Heartbeat | string {
  const b = body as Partial<Heartbeat> | null;
  if (b === null || typeof b !== 'object') return 'a heartbeat is a JSON object';
  if (!isName(b.physical) || !isName(b.host)) return 'a heartbeat names its physical node and host';
  if (typeof b.periodMs !== 'number' || !(b.periodMs > 0)) return 'a heartbeat gives its period (periodMs)';
  if (!Array.isArray(b.nodes) || b.nodes.some((n) => !isName(n?.name) || typeof n.state !== 'string'))
    return 'a heartbeat lists its logical nodes, each with name and state';
  return b as Heartbeat;
}

/** The heartbeat port: nodes report and learn what to run. */
function heartbeatRoute(master: Master) {
  return async (
    method: string,
    path: string,
    body: unknown,
    _q: URLSearchParams,
    peer: string,
  ): Promise<Reply> => {
    // Acks (docs/master.md): a node reports what its collectors acknowledged, an agent asks.
    if (method === 'POST' && (path === '/acks' || path === '/acks/check')) {
      const tags = (body as { tags?: unknown } | null)?.tags;
      if (!isTagList(tags)) return bad(`at most ${MAX_ACK_TAGS} ack tags: {"tags": [STRING...]}`);
      if (path === '/acks/check') return { status: 200, body: { acked: await master.checkAck(tags) } };
      await master.acknowledge(tags);
      return { status: 200, body: {} };
    }
    if (method !== 'POST' || path !== '/heartbeat') return notFound(path);
    const hb = asHeartbeat(body);
    if (typeof hb === 'string') return bad(hb);
    // The node's own word is not taken for where it is: peers are sent where its heartbeat came from.
    hb.address = peer;
    try {
      return { status: 200, body: await master.heartbeat(hb) };
    } catch (e) {
      return { status: 409, body: { error: asSluiceError(e).message } };
    }
  };
}

/** The admin port: the shell's commands, their history, the node status and the configurations. */
function adminRoute(master: Master) {
  return async (method: string, path: string, body: unknown): Promise<Reply> => {
    if (method === 'POST' && path === '/commands') {
      const b = body as { cmd?: unknown; args?: unknown } | null;
      if (!isName(b?.cmd) || !Array.isArray(b.args) || b.args.some((a) => typeof a !== 'string'))
        return bad('a command is {"cmd": NAME, "args": [STRING...]}');
      return { status: 200, body: await master.submit(b.cmd, b.args as string[]) };
    }
    if (method !== 'GET') return notFound(path);
    const m = /^\/commands\/(\d+)$/.exec(path);
    if (m) {
      const rec = await master.command(Number(m[1]));
      return rec ? { status: 200, body: rec } : { status: 404, body: { error: `no command ${m[1]}` } };
    }
    if (path === '/commands') return { status: 200, body: await master.commands(100) };
    if (path === '/status') return { status: 200, body: master.nodeStatus() };
    if (path === '/masters') return { status: 200, body: await master.masters() };
    if (path === '/configs')
      return {
        status: 200,
        body: {
          configs: master.configs(),
          mappings: master.mappings(),
          translated: master.translations(),
          flows: master.flows(),
        },
      };
    return notFound(path);
  };
}

/** A master's two control ports. */
export class MasterServer {
  private constructor(
    readonly heartbeat: ControlServer,
    readonly admin: ControlServer,
  ) {}

  static async start(master: Master, opts: MasterServerOptions): Promise<MasterServer> {
    if (opts.token !== undefined && opts.token.length === 0)
      throw new SluiceError('SLUICE_CONFIG', 'the master token is empty');
    const common = {
      host: opts.bind,
      token: opts.token,
      logger: opts.logger,
      tls: opts.tls,
      ...CONTROL_LIMITS,
    };
    const hb = await startControlServer(
      'master heartbeat port',
      {
        ...common,
        port: opts.heartbeatPort,
        maxInFlight: opts.maxHeartbeats ?? DEFAULT_MAX_HEARTBEATS,
        ...HEARTBEAT_CONNECTIONS,
        ...opts.heartbeatConnections,
        retryAfterMs: opts.retryAfterMs,
      },
      heartbeatRoute(master),
    );
    try {
      const admin = await startControlServer(
        'master admin port',
        { ...common, port: opts.adminPort },
        adminRoute(master),
      );
      return new MasterServer(hb, admin);
    } catch (e) {
      await hb.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.heartbeat.close(), this.admin.close()]);
  }
}
