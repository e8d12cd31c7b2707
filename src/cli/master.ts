import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { SiteConfig } from '../core/config.js';
import { SluiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { compileSpec } from '../flow/compile.js';
import { ackBounds } from '../master/acks.js';
import { flowRoutes } from '../master/flow-routes.js';
import { Master } from '../master/master.js';
import { MasterServer } from '../master/server.js';
import { type ConfigStore, FileStore, MemoryStore } from '../master/store.js';
import { ZooKeeperStore } from '../master/stores/zookeeper.js';
import { masterServerTls } from '../master/tls.js';
import { readToken } from '../master/token.js';
import { masterWeb } from '../master/web.js';
import { optString } from './args.js';
import type { Command } from './command.js';
import { loadEnv } from './env.js';
import { checkHttpOptions, MASTER_HTTP_OPTIONS, serveFleetStatus } from './http-options.js';
import { CONF, TOKEN_FILE } from './vocabulary.js';

/**
 * The store flume.master.store names: `memory`; `zookeeper` with flume.master.zk.use.external, the
 * ensemble of flume.master.zk.servers (shared by every master given it); otherwise the embedded store.
 */
async function openStore(config: SiteConfig, logger: Logger): Promise<ConfigStore> {
  if (config.getString('flume.master.store') === 'memory') return new MemoryStore();
  if (!config.getBool('flume.master.zk.use.external'))
    return new FileStore(resolve(config.getString('flume.master.zk.logdir')));
  const servers = config.getString('flume.master.zk.servers').trim();
  if (servers === '')
    throw new SluiceError(
      'SLUICE_CONFIG',
      'flume.master.zk.use.external is true but flume.master.zk.servers lists no ZooKeeper server',
    );
  const sessionTimeoutMs = config.getInt('flume.master.zk.session.timeout');
  return ZooKeeperStore.open({ servers, logger, sessionTimeoutMs });
}

/** `sluice master`: the master's heartbeat and admin ports, until SIGINT or SIGTERM. */
export const masterCommand: Command = {
  name: 'master',
  synopsis: '[--heartbeat-port N] [--admin-port N] [--bind ADDR] [--store zookeeper|memory] [options]',
  description: [
    'Runs a Flume master: nodes heartbeat to it (flume.master.heartbeat.port, 35872) and get their',
    'logical nodes configured; the shell sends it commands (flume.master.admin.port, 35873). The',
    'configurations are kept in an embedded store under flume.master.zk.logdir that survives a',
    'restart (flume.master.store=zookeeper, the default), or in memory. See docs/master.md.',
  ].join('\n'),
  options: [
    { ...CONF, short: undefined },
    {
      name: 'heartbeat-port',
      value: 'PORT',
      positiveInt: true,
      help: 'port nodes heartbeat to',
      default: '35872',
    },
    {
      name: 'admin-port',
      value: 'PORT',
      positiveInt: true,
      help: 'port of the shell and commands',
      default: '35873',
    },
    { name: 'bind', value: 'ADDR', help: 'address both ports listen on', default: '127.0.0.1' },
    {
      name: 'store',
      value: 'STORE',
      choices: ['zookeeper', 'memory'],
      help: 'configuration store (flume.master.store)',
    },
    { name: 'store-dir', value: 'DIR', help: 'directory of the embedded store (flume.master.zk.logdir)' },
    {
      name: 'zk-servers',
      value: 'HOST:PORT,...',
      help: 'share the state in this external ZooKeeper ensemble (flume.master.zk.servers and .use.external)',
    },
    TOKEN_FILE,
    {
      name: 'tls-key',
      value: 'FILE',
      help: 'PEM key: both control ports speak HTTPS (flume.master.tls.key)',
    },
    { name: 'tls-cert', value: 'FILE', help: 'PEM certificate, with --tls-key (flume.master.tls.cert)' },
    ...MASTER_HTTP_OPTIONS,
  ],
  positionals: { min: 0, max: 0 },
  async run(p) {
    checkHttpOptions(p, 'master');
    const env = await loadEnv({ confDir: optString(p, 'conf') });
    const overrides: Record<string, string> = {};
    const set = (opt: string, prop: string) => {
      const v = optString(p, opt);
      if (v !== undefined) overrides[prop] = v;
    };
    set('heartbeat-port', 'flume.master.heartbeat.port');
    set('admin-port', 'flume.master.admin.port');
    set('store', 'flume.master.store');
    set('store-dir', 'flume.master.zk.logdir');
    set('zk-servers', 'flume.master.zk.servers');
    if (optString(p, 'zk-servers') !== undefined) overrides['flume.master.zk.use.external'] = 'true';
    const config = env.config.with(overrides);
    const logger = env.logger;
    const store = await openStore(config, logger);
    const context = { ...env.context, allowExec: true };
    const bind = optString(p, 'bind') ?? '127.0.0.1';
    const adminPort = config.getInt('flume.master.admin.port');
    const master = new Master({
      store,
      logger,
      // The master checks names and arguments; whether a node may run exec sources is the node's call.
      check: (spec, file) => void compileSpec(spec, { catalog: env.catalog, context, file }),
      basePort: config.getInt('flume.collector.port'),
      // save and load stay in the store's directory: a command must not write anywhere the master can.
      fileDir: config.getString('flume.master.zk.logdir'),
      acks: ackBounds(config.getInt('flume.agent.logdir.retransmit')),
      // Where a shell reaches this master, as `getmasters` shows it to the others' users.
      address: `${bind === '0.0.0.0' || bind === '::' ? hostname() : bind}:${adminPort}`,
      statusPeriodMs: config.getInt('flume.config.heartbeat.period'),
    });
    await master.ready;
    const token = readToken(optString(p, 'token-file'));
    const tls = masterServerTls(config, optString(p, 'tls-key'), optString(p, 'tls-cert'));
    // Served first, so a taken port fails the command before the control ports open.
    // The master's pages, with the flow picture's routes.
    const web = await serveFleetStatus(p, {
      status: () => master.nodeStatus(),
      bind,
      config,
      logger,
      tls,
      pages: () =>
        masterWeb(master, {
          token,
          name: `master@${hostname()}`,
          // The flow picture: its data and the two scripts that draw it.
          routes: Object.entries(flowRoutes(master)).map(
            ([path, route]) => [path, () => ({ status: 200, ...route() })] as const,
          ),
        }),
    });
    const server = await MasterServer.start(master, {
      bind,
      heartbeatPort: config.getInt('flume.master.heartbeat.port'),
      adminPort,
      token,
      tls,
      maxHeartbeats: config.getInt('flume.master.heartbeat.max'),
      retryAfterMs: config.getInt('flume.master.heartbeat.retry.ms'),
      logger,
    }).catch(async (e: unknown) => {
      await web?.close();
      // Leaves the masters' election at once rather than when the session times out.
      await store.close();
      throw e;
    });
    logger.info(
      `master listening on ${bind}: heartbeat port ${server.heartbeat.port}, admin port ${server.admin.port}; store ${store.description}; ${master.configs().length} configuration(s) loaded${token !== undefined ? '; token required' : ''}${tls !== undefined ? '; TLS' : ''}`,
    );
    await new Promise<void>((done) => {
      const stop = (sig: string) => {
        logger.info(`${sig}: master stopping`);
        done();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    await master.idle();
    await server.close();
    await web?.close();
    await store.close();
    return 0;
  },
};
