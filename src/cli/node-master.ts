import { hostname } from 'node:os';
import type { SiteConfig } from '../core/config.js';
import { MasterAckClient } from '../master/ack-client.js';
import { MasterFailover } from '../master/failover.js';
import { type LogicalNodeRunner, NodeAgent } from '../master/node-agent.js';
import { masterClientTls } from '../master/tls.js';
import { readToken } from '../master/token.js';
import { underSite } from '../node/host.js';
import { SpecHost } from '../node/spec-host.js';
import { processAcks } from '../reliability/ack-store.js';
import { optString, type ParsedArgs } from './args.js';
import { loadEnv } from './env.js';
import { serveStatus } from './http-options.js';

/** Runs the master's logical nodes on a SpecHost. */
export function specHostRunner(host: SpecHost, config: SiteConfig): LogicalNodeRunner {
  return {
    // An empty spec does not compile (a spec names at least one node): no nodes is applied directly.
    apply: async (spec) => {
      if (spec.trim() === '') await underSite(config, () => host.manager.reconfigure([]));
      else await host.reconfigure({ text: spec, file: '<master>' });
    },
    reports: () => host.reports(),
    stop: () => host.stop(),
  };
}

/**
 * `sluice node [-n NAME]` without -1: a physical node that heartbeats to the master and runs the logical
 * nodes the master maps to it, reconfigured live through one SpecHost, until SIGINT or SIGTERM.
 */
export async function joinMaster(p: ParsedArgs): Promise<number> {
  const physical = optString(p, 'name') ?? hostname();
  const env = await loadEnv({
    confDir: optString(p, 'conf'),
    allowExec: p.options.has('allow-exec'),
    nodeName: physical,
  });
  const cfg = env.config;
  const token = readToken(optString(p, 'token-file'));
  const failover = MasterFailover.parse(
    optString(p, 'master') ?? (cfg.getList('flume.master.servers').join(',') || 'localhost'),
    cfg.getInt('flume.master.heartbeat.port'),
    token,
    undefined,
    masterClientTls(cfg, optString(p, 'tls-ca'), p.options.has('tls')),
  );
  const masters = failover.masters;
  // Acks travel through the master (docs/reliability.md, "Ack wire"): collectors report them with the
  // heartbeats, end-to-end agents ask the master.
  processAcks.reportToMaster();
  const checkAckTimeout = Math.max(2 * cfg.getInt('flume.config.heartbeat.period'), 5_000);
  const context = { ...env.context, acks: () => new MasterAckClient(failover, checkAckTimeout) };
  const host = new SpecHost({ catalog: env.catalog, context, logger: env.logger, node: physical });
  const agent = new NodeAgent({
    physical,
    host: hostname(),
    masters,
    periodMs: cfg.getInt('flume.config.heartbeat.period'),
    logger: env.logger,
    runner: specHostRunner(host, cfg),
    acks: processAcks,
    ackReportMs: cfg.getInt('flume.agent.ack.poll'),
  });
  // Served before the first heartbeat, so a taken port fails the command before anything runs.
  const web = await serveStatus(p, {
    host,
    runs: 'logical-nodes',
    node: physical,
    config: cfg,
    logger: env.logger,
    masterToken: token,
  });
  agent.start();
  await new Promise<void>((done) => {
    const stop = (sig: string) => {
      env.logger.info(`${sig}: closing the logical nodes`);
      done();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await agent.stop();
  await web?.close();
  return 0;
}
