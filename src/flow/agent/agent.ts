import { type AgentConf, type ComponentConf, parseAgentConfig } from '../../agentconf/model.js';
import { bindProperties } from '../../catalog/bind.js';
import {
  type ChannelDrainer,
  type Interceptor,
  type InterceptorDef,
  isChannelDrainer,
  type NgSinkDef,
  type NgSourceDef,
} from '../../catalog/ng.js';
import { ComponentProperties, type RawProps } from '../../catalog/properties.js';
import type { Catalog } from '../../catalog/registry.js';
import type { BuildContext, SinkDef, SourceDef } from '../../catalog/types.js';
import type { Channel, ChannelDef } from '../../channels/types.js';
import { asSluiceError, SluiceError } from '../../core/errors.js';
import type { EventSink, EventSource } from '../../core/pipeline.js';
import { CountedSink, SinkTally } from '../counted.js';
import {
  failoverSelector,
  type GroupedSink,
  loadBalanceSelector,
  SinkGroupRunner,
  singleSelector,
} from './sink-group.js';
import {
  type ChannelSelector,
  multiplexingSelector,
  replicatingSelector,
  SourceRunner,
} from './source-runner.js';

/** Everything an agent file can name: one catalog for both front ends (catalog/registry.ts). */
export type AgentCatalog = Catalog;

const PROCESSORS = ['default', 'failover', 'load_balance'];
const SELECTORS = ['replicating', 'multiplexing'];

export function knownTypes(cat: Catalog) {
  return { ...cat.agentTypes(), processor: PROCESSORS, selector: SELECTORS };
}

/** Props of a component as a plain record (sub-component keys included; the defs skip them). */
function rawProps(c: ComponentConf): RawProps {
  const out: Record<string, string> = {};
  for (const k of c.props.keys()) out[k] = c.props.raw(k)!.value;
  return out;
}

/** Re-places a component's SLUICE_AGENT_CONFIG/SLUICE_CONFIG error at the file and line of its key. */
function placed(e: unknown, c: ComponentConf): SluiceError {
  const err = asSluiceError(e);
  const field = err.place?.field;
  const prop = field ? c.props.raw(field) : undefined;
  if (
    err.code !== 'SLUICE_AGENT_CONFIG' &&
    err.code !== 'SLUICE_CONFIG' &&
    err.code !== 'SLUICE_SPEC_BAD_ARGUMENT' &&
    err.code !== 'SLUICE_EXEC_REFUSED'
  )
    return err;
  return new SluiceError(err.code, err.message, {
    place: {
      file: c.props.file,
      line: prop?.line ?? c.props.line,
      field: `${c.props.prefix}${field ?? 'type'}`,
    },
    cause: err,
  });
}

interface Built {
  channels: Map<string, Channel>;
  sources: SourceRunner[];
  groups: SinkGroupRunner[];
  drainers: { name: string; drainer: ChannelDrainer; channel: Channel }[];
  /** What each sink (drainers aside) delivered, dropped and retried. */
  tally: SinkTally;
}

/**
 * A Flume NG agent: sources -> interceptors -> channels (transactions) -> sink processors -> sinks,
 * built from a checked AgentConf. Start order is channels, sinks, sources; stop is the reverse, so
 * nothing accepted by a source is left outside a channel.
 */
export class Agent {
  private built: Built | undefined;

  constructor(
    readonly conf: AgentConf,
    private readonly catalog: AgentCatalog,
    private readonly ctx: BuildContext,
  ) {}

  static fromText(text: string, file: string, name: string, catalog: AgentCatalog, ctx: BuildContext): Agent {
    const conf = parseAgentConfig(text, file, name, knownTypes(catalog));
    for (const w of conf.warnings) ctx.logger.warn(w);
    const agent = new Agent(conf, catalog, { ...ctx, nodeName: name });
    agent.build();
    return agent;
  }

  /** Creates every component (all configuration errors surface here, before anything starts). */
  build(): void {
    const { conf, catalog, ctx } = this;
    const channels = new Map<string, Channel>();
    for (const c of conf.channels) {
      const def = catalog.agentFind('channel', c.type)!.agent as ChannelDef;
      try {
        channels.set(
          c.name,
          def.create(rawProps(c), {
            name: c.name,
            config: ctx.config,
            logger: ctx.logger.child(c.name),
            agentName: conf.name,
          }),
        );
      } catch (e) {
        throw placed(e, c);
      }
    }
    const sources = conf.sources.map((s) => {
      const source = this.makeSource(s);
      const interceptors: Interceptor[] = s.interceptors.map((i) => {
        const def = catalog.agentFind('interceptor', i.type)!.agent as InterceptorDef;
        try {
          return def.create(
            new ComponentProperties(`interceptor ${i.name}`, def.properties, rawProps(i), ctx.logger),
            ctx,
          );
        } catch (e) {
          throw placed(e, i);
        }
      });
      const chans = s.channels.map((n) => channels.get(n)!);
      let select: ChannelSelector;
      if (s.selector.type.toLowerCase() === 'multiplexing') {
        const header = s.selector.props.string('header', 'flume.selector.header');
        const mapping = new Map<string, Channel[]>();
        const pick = (key: string) => {
          const names = s.selector.props.string(key).split(/\s+/).filter(Boolean);
          return names.map((n) => {
            const ch = channels.get(n);
            if (!ch || !s.channels.includes(n))
              throw s.selector.props.error(
                key,
                `selector maps to channel "${n}", which source ${s.name} does not use`,
              );
            return ch;
          });
        };
        for (const k of s.selector.props.keys())
          if (k.startsWith('mapping.')) mapping.set(k.slice(8), pick(k));
        select = multiplexingSelector(
          header,
          mapping,
          s.selector.props.has('default') ? pick('default') : [],
        );
      } else {
        select = replicatingSelector(chans);
      }
      return new SourceRunner(s.name, source, interceptors, select, ctx.logger, 200, s.type);
    });

    const sinks = new Map<string, EventSink | ChannelDrainer>();
    const tally = new SinkTally();
    for (const k of conf.sinks) {
      const sink = this.makeSink(k);
      // A sink's failed appends go back to the channel: the summary counts them as retried.
      sinks.set(k.name, isChannelDrainer(sink) ? sink : new CountedSink(sink, tally.entry(k.name, k.name)));
    }
    const groups: SinkGroupRunner[] = [];
    const drainers: Built['drainers'] = [];
    const grouped = new Set(conf.sinkgroups.flatMap((g) => g.sinks));
    for (const g of conf.sinkgroups) {
      const members = g.sinks.map((n) => conf.sinks.find((k) => k.name === n)!);
      const channel = members[0]!.channel;
      for (const m of members) {
        if (m.channel !== channel)
          throw g.processor.props.error(
            'type',
            `sink group ${g.name}: every sink must take from the same channel (${m.name} uses ${m.channel}, ${members[0]!.name} uses ${channel})`,
          );
        if (isChannelDrainer(sinks.get(m.name)!))
          throw g.processor.props.error(
            'type',
            `sink group ${g.name}: ${m.name} serves remote pollers itself and cannot be in a group`,
          );
      }
      const p = g.processor.props;
      const type = g.processor.type.toLowerCase();
      const selector =
        type === 'failover'
          ? failoverSelector(
              members.map((m) => p.int(`priority.${m.name}`, 0)),
              p.int('maxpenalty', 30_000, 0),
            )
          : type === 'load_balance'
            ? loadBalanceSelector(
                members.length,
                p.oneOf('selector', ['round_robin', 'random'] as const, 'round_robin'),
                p.bool('backoff', false),
                p.int('selector.maxTimeOut', 30_000, 0),
              )
            : singleSelector();
      const list: GroupedSink[] = members.map((m) => ({
        name: m.name,
        sink: sinks.get(m.name) as EventSink,
        type: m.type,
      }));
      groups.push(
        new SinkGroupRunner(
          g.name,
          channels.get(channel)!,
          list,
          selector,
          batchSizeOf(members[0]!),
          ctx.logger,
        ),
      );
    }
    for (const k of conf.sinks) {
      if (grouped.has(k.name)) continue;
      const s = sinks.get(k.name)!;
      if (isChannelDrainer(s)) drainers.push({ name: k.name, drainer: s, channel: channels.get(k.channel)! });
      else
        groups.push(
          new SinkGroupRunner(
            k.name,
            channels.get(k.channel)!,
            [{ name: k.name, sink: s, type: k.type }],
            singleSelector(),
            batchSizeOf(k),
            ctx.logger,
          ),
        );
    }
    this.built = { channels, sources, groups, drainers, tally };
  }

  private makeSource(s: ComponentConf): EventSource {
    const { catalog, ctx } = this;
    const found = catalog.agentFind('source', s.type);
    try {
      const ng = found?.agent as NgSourceDef | undefined;
      if (ng)
        return ng.create(
          new ComponentProperties(`source ${s.name}`, ng.properties, rawProps(s), ctx.logger, [
            'interceptors.',
            'selector.',
          ]),
          ctx,
        );
      const og = (found?.def as SourceDef | undefined) ?? catalog.lookup('source', s.type);
      const warn = (m: string) => ctx.logger.warn(m);
      return og.build(bindProperties(og, s.props, ctx.config, warn), {
        ...ctx,
        logger: ctx.logger.child(s.name),
      });
    } catch (e) {
      throw placed(e, s);
    }
  }

  private makeSink(k: ComponentConf): EventSink | ChannelDrainer {
    const { catalog, ctx } = this;
    const found = catalog.agentFind('sink', k.type);
    try {
      const ng = found?.agent as NgSinkDef | undefined;
      if (ng)
        return ng.create(
          new ComponentProperties(`sink ${k.name}`, ng.properties, rawProps(k), ctx.logger),
          ctx,
        );
      const og = (found?.def as SinkDef | undefined) ?? catalog.lookup('sink', k.type);
      const warn = (m: string) => ctx.logger.warn(m);
      return og.build(bindProperties(og, k.props, ctx.config, warn), {
        ...ctx,
        logger: ctx.logger.child(k.name),
      });
    } catch (e) {
      throw placed(e, k);
    }
  }

  /**
   * Starts channels, drainers, sinks, then sources. A component that cannot start for a fatal reason
   * (core/errors.ts `isFatal`) stops what already started and rejects with one error naming it, so
   * the process can exit instead of running without it.
   */
  async start(): Promise<void> {
    if (!this.built) this.build();
    const b = this.built!;
    try {
      for (const c of b.channels.values()) await c.start();
      for (const d of b.drainers) await d.drainer.start(d.channel);
      for (const g of b.groups) await g.start();
      for (const s of b.sources) await s.start();
    } catch (e) {
      // Nothing was accepted yet: channels stop first, which ends the sink runners' keep-alive waits.
      await Promise.allSettled(b.sources.map((s) => s.stop()));
      const groups = Promise.allSettled(b.groups.map((g) => g.stop()));
      await Promise.allSettled([...b.channels.values()].map((c) => c.stop()));
      await groups;
      await Promise.allSettled(b.drainers.map((d) => d.drainer.stop()));
      throw e;
    }
  }

  /** Stops sources first, so everything they accepted reaches a channel; then logs what each sink did. */
  async stop(): Promise<void> {
    const b = this.built;
    if (!b) return;
    await Promise.allSettled(b.sources.map((s) => s.stop()));
    await Promise.allSettled(b.groups.map((g) => g.stop()));
    await Promise.allSettled(b.drainers.map((d) => d.drainer.stop()));
    await Promise.allSettled([...b.channels.values()].map((c) => c.stop()));
    this.logSummary();
  }

  /** One line: per source what it accepted, per sink what it delivered, dropped and retried. */
  private logSummary(): void {
    const r = this.report();
    const parts = [
      ...r.sources.map(
        (s) => `source ${s.name}: ${s.accepted} accepted${s.failed > 0 ? `, ${s.failed} failed` : ''}`,
      ),
      ...r.sinks.map(
        (k) => `sink ${k.name}: ${k.delivered} delivered, ${k.dropped} dropped, ${k.retried} retried`,
      ),
      ...r.channels.filter((c) => c.size > 0).map((c) => `channel ${c.name}: ${c.size} left`),
    ];
    // Events left in a channel are lost with a memory channel and wait for the next start with a file one.
    const lost =
      r.sources.some((s) => s.failed > 0) ||
      r.sinks.some((k) => k.dropped > 0) ||
      r.channels.some((c) => c.size > 0);
    const line = `agent ${this.conf.name} stopped${parts.length > 0 ? `: ${parts.join('; ')}` : ''}`;
    if (lost) this.ctx.logger.warn(line);
    else this.ctx.logger.info(line);
  }

  channel(name: string): Channel | undefined {
    return this.built?.channels.get(name);
  }

  report(): {
    sources: { name: string; state: string; accepted: number; failed: number; error?: string }[];
    /** `failures`: events of appends that failed (back to the channel, so also in `retried`). */
    sinks: { name: string; delivered: number; dropped: number; retried: number; failures: number }[];
    channels: { name: string; size: number }[];
  } {
    const b = this.built;
    return {
      sources: (b?.sources ?? []).map((s) => ({
        name: s.name,
        state: s.state,
        accepted: s.accepted,
        failed: s.failed,
        ...(s.error ? { error: s.error } : {}),
      })),
      sinks: (b?.tally.list() ?? []).map((t) => ({
        name: t.name,
        delivered: t.delivered,
        dropped: t.dropped,
        retried: t.retried + t.failed,
        failures: t.failed,
      })),
      channels: [...(b?.channels.values() ?? [])].map((c) => ({ name: c.name, size: c.size })),
    };
  }
}

function batchSizeOf(k: ComponentConf): number {
  const raw =
    k.props.optString('batch-size') ?? k.props.optString('batchSize') ?? k.props.optString('hdfs.batchSize');
  const n = raw === undefined ? 100 : Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw k.props.error(
      k.props.has('batch-size') ? 'batch-size' : 'batchSize',
      `batch size must be a positive integer, got "${raw}"`,
    );
  return n;
}
