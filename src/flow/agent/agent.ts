import {
  type AgentConf,
  type ComponentConf,
  parseAgentConfig,
  type SourceConf,
} from '../../agentconf/model.js';
import { bindProperties } from '../../catalog/bind.js';
import {
  type ChannelDrainer,
  type Interceptor,
  type InterceptorDef,
  isChannelDrainer,
  type NgSinkDef,
  type NgSourceDef,
  type ProcessorDef,
  type SelectorDef,
} from '../../catalog/ng.js';
import { ComponentProperties, type RawProps } from '../../catalog/properties.js';
import type { AgentKind, Catalog } from '../../catalog/registry.js';
import type { BuildContext, SinkDef, SourceDef } from '../../catalog/types.js';
import type { Channel, ChannelDef } from '../../channels/types.js';
import { asSluiceError, SluiceError } from '../../core/errors.js';
import type { EventSink, EventSource } from '../../core/pipeline.js';
import { CountedSink, SinkTally } from '../counted.js';
import { ComponentMeter, type ComponentReport, type ConfigChanges, type PipelineReport } from '../report.js';
import { MeteredChannel } from './metered-channel.js';
import { fingerprint, sourceKeys, type UnitPlan, unitPlans } from './plan.js';
import { singleSelector } from './processors.js';
import { type GroupedSink, SinkGroupRunner } from './sink-group.js';
import { type ChannelSelector, SourceRunner } from './source-runner.js';

/** Everything an agent file can name: one catalog for both front ends (catalog/registry.ts). */
export type AgentCatalog = Catalog;

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

/** A channel and the configuration it was built from. */
interface ChannelUnit {
  key: string;
  channel: MeteredChannel;
}

/**
 * A source with its runner. The runner iterates `interceptors` and calls `selector.current` for each
 * batch, so a reconfiguration that changes only interceptors, selector or channels swaps them between
 * two batches while the source itself (and its senders' connections) keeps running.
 */
interface SourceUnit {
  conf: SourceConf;
  /** The source's own properties: when they change, the source is stopped and started again. */
  ownKey: string;
  /** Interceptors, selector and channels: when only they change, they are swapped in place. */
  wiringKey: string;
  runner: SourceRunner;
  /** The counting step first, then the configured interceptors. */
  interceptors: Interceptor[];
  selector: { current: ChannelSelector };
  meter: ComponentMeter;
}

/** One sink group (or one sink alone: Flume's default processor) with what takes from its channel. */
interface SinkUnit {
  name: string;
  key: string;
  channel: string;
  /** Its sinks' names; a sink group's unit is reported as a group too. */
  sinks: string[];
  group: boolean;
  runner?: SinkGroupRunner;
  drainer?: ChannelDrainer;
}

interface Built {
  channels: Map<string, ChannelUnit>;
  sources: Map<string, SourceUnit>;
  units: Map<string, SinkUnit>;
}

/** How long a retired channel may take to be emptied by its sinks before it is stopped anyway. */
const RETIRE_DRAIN_MS = 60_000;

/**
 * A Flume NG agent: sources -> interceptors -> channels (transactions) -> sink processors -> sinks,
 * built from a checked AgentConf. Start order is channels, sinks, sources; stop is the reverse, so
 * nothing accepted by a source is left outside a channel.
 *
 * `reconfigure` applies a new AgentConf by diff (docs/node-host.md): unchanged components keep running
 * untouched; a changed one is replaced only once what it accepted is in a channel (a source) or back in
 * its channel (a sink runner rolls back its open take), and a retired channel is emptied by its sinks
 * before it stops. So a reconfiguration loses and duplicates nothing.
 */
export class Agent {
  private built: Built | undefined;
  /** Totals of every sink this agent ran, across reconfigurations (the stop summary reads them). */
  private readonly tally = new SinkTally();
  state: 'CONFIGURING' | 'ACTIVE' | 'IDLE' | 'ERROR' | 'CLOSING' = 'IDLE';
  version = 1;

  private readonly ctx: BuildContext;

  constructor(
    public conf: AgentConf,
    private readonly catalog: AgentCatalog,
    ctx: BuildContext,
  ) {
    // Components find formats in the catalog they were found in (a plugin's serializer included).
    this.ctx = { ...ctx, formats: catalog };
  }

  /** Parses and checks an agent file: every error names the file, line and key. */
  static parse(
    text: string,
    file: string,
    name: string,
    catalog: AgentCatalog,
    ctx: BuildContext,
  ): AgentConf {
    const conf = parseAgentConfig(text, file, name, catalog.agentTypes());
    for (const w of conf.warnings) ctx.logger.warn(w);
    return conf;
  }

  static fromText(text: string, file: string, name: string, catalog: AgentCatalog, ctx: BuildContext): Agent {
    const agent = new Agent(Agent.parse(text, file, name, catalog, ctx), catalog, { ...ctx, nodeName: name });
    agent.build();
    return agent;
  }

  /** Creates every component (all configuration errors surface here, before anything starts). */
  build(): void {
    const { conf } = this;
    const channels = new Map<string, ChannelUnit>();
    for (const c of conf.channels)
      channels.set(c.name, { key: fingerprint(c), channel: this.makeChannel(c) });
    const sources = new Map<string, SourceUnit>();
    for (const s of conf.sources) sources.set(s.name, this.makeSourceUnit(s, channels));
    const units = new Map<string, SinkUnit>();
    for (const plan of unitPlans(conf)) units.set(plan.name, this.makeUnit(plan, channels));
    this.built = { channels, sources, units };
  }

  private makeChannel(c: ComponentConf): MeteredChannel {
    const def = this.catalog.agentFind('channel', c.type)!.agent as ChannelDef;
    try {
      return new MeteredChannel(
        def.create(rawProps(c), {
          name: c.name,
          config: this.ctx.config,
          logger: this.ctx.logger.child(c.name),
          agentName: this.conf.name,
        }),
      );
    } catch (e) {
      throw placed(e, c);
    }
  }

  /**
   * Creates a sub-component an agent file names by type (interceptor, selector, processor) from its
   * catalog definition, its properties checked; errors are placed at the file and line of the key.
   */
  private makePart<D extends InterceptorDef | SelectorDef | ProcessorDef, T>(
    kind: AgentKind,
    label: string,
    c: ComponentConf,
    create: (def: D, props: ComponentProperties) => T,
  ): T {
    const def = this.catalog.agentFind(kind, c.type)!.agent as D;
    try {
      return create(def, new ComponentProperties(label, def.properties, rawProps(c), this.ctx.logger));
    } catch (e) {
      throw placed(e, c);
    }
  }

  private makeInterceptors(s: SourceConf): Interceptor[] {
    return s.interceptors.map((i) =>
      this.makePart('interceptor', `interceptor ${i.name}`, i, (def: InterceptorDef, p) =>
        def.create(p, this.ctx),
      ),
    );
  }

  private makeSelector(s: SourceConf, channels: ReadonlyMap<string, ChannelUnit>): ChannelSelector {
    const own = new Map<string, Channel>(s.channels.map((n) => [n, channels.get(n)!.channel]));
    return this.makePart('selector', `source ${s.name} selector`, s.selector, (def: SelectorDef, p) =>
      def.create(p, own, this.ctx),
    );
  }

  private makeSourceUnit(s: SourceConf, channels: ReadonlyMap<string, ChannelUnit>): SourceUnit {
    const source = this.makeSource(s);
    const meter = new ComponentMeter('source', s.name, s.type);
    // The first step counts what the source read, before interceptors filter or grow it.
    const interceptors: Interceptor[] = [
      (batch) => {
        meter.received(batch);
        return batch;
      },
      ...this.makeInterceptors(s),
    ];
    const selector = { current: this.makeSelector(s, channels) };
    const runner = new SourceRunner(
      s.name,
      source,
      interceptors,
      (batch) => selector.current(batch),
      this.ctx.logger,
      200,
      s.type,
    );
    return { conf: s, ...sourceKeys(s), runner, interceptors, selector, meter };
  }

  private makeUnit(plan: UnitPlan, channels: ReadonlyMap<string, ChannelUnit>): SinkUnit {
    const { ctx } = this;
    const channel = channels.get(plan.channel)!.channel;
    const sinks = new Map<string, EventSink | ChannelDrainer>();
    for (const k of plan.members) {
      const sink = this.makeSink(k);
      // A sink's failed appends go back to the channel: the summary counts them as retried.
      sinks.set(
        k.name,
        isChannelDrainer(sink)
          ? sink
          : new CountedSink(sink, this.tally.entry(k.name, k.name), this.tally.meter(k.name)),
      );
    }
    const base = {
      name: plan.name,
      key: plan.key,
      channel: plan.channel,
      sinks: plan.members.map((m) => m.name),
    };
    const g = plan.group;
    if (!g) {
      const k = plan.members[0]!;
      const s = sinks.get(k.name)!;
      if (isChannelDrainer(s)) return { ...base, group: false, drainer: s };
      const runner = new SinkGroupRunner(
        k.name,
        channel,
        [{ name: k.name, sink: s, type: k.type }],
        singleSelector(),
        batchSizeOf(k),
        ctx.logger,
      );
      return { ...base, group: false, runner };
    }
    const members = plan.members;
    for (const m of members) {
      if (m.channel !== plan.channel)
        throw g.processor.props.error(
          'type',
          `sink group ${g.name}: every sink must take from the same channel (${m.name} uses ${m.channel}, ${members[0]!.name} uses ${plan.channel})`,
        );
      if (isChannelDrainer(sinks.get(m.name)!))
        throw g.processor.props.error(
          'type',
          `sink group ${g.name}: ${m.name} serves remote pollers itself and cannot be in a group`,
        );
    }
    const selector = this.makePart(
      'processor',
      `sink group ${g.name} processor`,
      g.processor,
      (def: ProcessorDef, p) =>
        def.create(
          p,
          members.map((m) => m.name),
          this.ctx,
        ),
    );
    const list: GroupedSink[] = members.map((m) => ({
      name: m.name,
      sink: sinks.get(m.name) as EventSink,
      type: m.type,
    }));
    return {
      ...base,
      group: true,
      runner: new SinkGroupRunner(g.name, channel, list, selector, batchSizeOf(members[0]!), ctx.logger),
    };
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
    this.state = 'CONFIGURING';
    try {
      for (const c of b.channels.values()) await c.channel.start();
      for (const u of b.units.values()) await startUnit(u, b.channels);
      for (const s of b.sources.values()) await s.runner.start();
      this.state = 'ACTIVE';
    } catch (e) {
      this.state = 'ERROR';
      // Nothing was accepted yet: channels stop first, which ends the sink runners' keep-alive waits.
      await Promise.allSettled([...b.sources.values()].map((s) => s.runner.stop()));
      const units = Promise.allSettled([...b.units.values()].map((u) => u.runner?.stop()));
      await Promise.allSettled([...b.channels.values()].map((c) => c.channel.stop()));
      await units;
      await Promise.allSettled([...b.units.values()].map((u) => u.drainer?.stop()));
      throw e;
    }
  }

  /** Stops sources first, so everything they accepted reaches a channel; then logs what each sink did. */
  async stop(): Promise<void> {
    const b = this.built;
    if (!b) return;
    this.state = 'CLOSING';
    await Promise.allSettled([...b.sources.values()].map((s) => s.runner.stop()));
    await Promise.allSettled([...b.units.values()].map((u) => u.runner?.stop()));
    await Promise.allSettled([...b.units.values()].map((u) => u.drainer?.stop()));
    await Promise.allSettled([...b.channels.values()].map((c) => c.channel.stop()));
    this.state = 'IDLE';
    this.logSummary();
  }

  /**
   * Applies a new configuration of this agent by diff. Everything new is built first, so a
   * configuration that cannot be built changes nothing (the error names file, line and key); then:
   * added channels start; changed sources stop (their batch in hand reaches the old channels); sources
   * whose wiring alone changed get their new interceptors, selector and channels between two batches;
   * sink runners of changed or removed sinks stop (an open take rolls back into its channel); a
   * retired channel is emptied by its old sinks, then stops; new sink runners start, then new
   * sources. A file channel replaced by a file channel starts only once the old one stopped (they may
   * name the same directories), so the sources putting into it are stopped and started again.
   */
  async reconfigure(next: AgentConf): Promise<ConfigChanges> {
    const b = this.built;
    if (!b || this.state !== 'ACTIVE')
      throw new SluiceError(
        'SLUICE_CONFIG',
        `agent ${this.conf.name} is ${this.state.toLowerCase()}: cannot reconfigure it`,
      );
    const changes: ConfigChanges = {
      version: this.version + 1,
      unchanged: [],
      replaced: [],
      rewired: [],
      added: [],
      removed: [],
    };
    const note = (list: Exclude<keyof ConfigChanges, 'version'>, kind: string, name: string) =>
      changes[list].push(`${kind} ${name}`);

    // Channels: kept when their configuration is the same, otherwise a new one replaces the old.
    const channels = new Map<string, ChannelUnit>();
    const addedChannels: ChannelUnit[] = [];
    /** File channels that replace file channels: started after the old one stopped. */
    const replacingChannels: ChannelUnit[] = [];
    const replacedNames = new Set<string>();
    for (const c of next.channels) {
      const old = b.channels.get(c.name);
      const key = fingerprint(c);
      if (old && old.key === key) {
        channels.set(c.name, old);
        note('unchanged', 'channel', c.name);
        continue;
      }
      const unit = { key, channel: this.makeChannel(c) };
      channels.set(c.name, unit);
      const sequential = old !== undefined && isFileChannel(old.channel) && isFileChannel(unit.channel);
      (sequential ? replacingChannels : addedChannels).push(unit);
      if (sequential) replacedNames.add(c.name);
      note(old ? 'replaced' : 'added', 'channel', c.name);
    }
    const retired = [...b.channels].filter(([n, u]) => channels.get(n) !== u).map(([, u]) => u);
    for (const [n] of b.channels) if (!channels.has(n)) note('removed', 'channel', n);

    // Sources: rebuilt when their own properties changed, rewired when only their wiring did.
    const sources = new Map<string, SourceUnit>();
    const startSources: SourceUnit[] = [];
    const stopSources: SourceUnit[] = [];
    const rewire: {
      unit: SourceUnit;
      interceptors: Interceptor[];
      selector: ChannelSelector;
      conf: SourceConf;
    }[] = [];
    for (const s of next.sources) {
      const old = b.sources.get(s.name);
      const keys = sourceKeys(s);
      const feedsReplaced = [...s.channels, ...(old?.conf.channels ?? [])].some((n) => replacedNames.has(n));
      if (old && old.ownKey === keys.ownKey && !feedsReplaced) {
        sources.set(s.name, old);
        // A replaced channel means new channel objects for the selector, even with the same wiring.
        const channelMoved = s.channels.some((n) => channels.get(n) !== b.channels.get(n));
        if (old.wiringKey === keys.wiringKey && !channelMoved) {
          note('unchanged', 'source', s.name);
          continue;
        }
        rewire.push({
          unit: old,
          interceptors: this.makeInterceptors(s),
          selector: this.makeSelector(s, channels),
          conf: s,
        });
        note('rewired', 'source', s.name);
        continue;
      }
      const unit = this.makeSourceUnit(s, channels);
      sources.set(s.name, unit);
      startSources.push(unit);
      if (old) stopSources.push(old);
      note(old ? 'replaced' : 'added', 'source', s.name);
    }
    for (const [n, u] of b.sources)
      if (!sources.has(n)) {
        stopSources.push(u);
        note('removed', 'source', n);
      }

    // Sink runners: a unit is kept when its sinks, processor and channel are all the same.
    const units = new Map<string, SinkUnit>();
    const startUnits: SinkUnit[] = [];
    for (const plan of unitPlans(next)) {
      const old = b.units.get(plan.name);
      if (old && old.key === plan.key && channels.get(plan.channel) === b.channels.get(plan.channel)) {
        units.set(plan.name, old);
        note('unchanged', old.group ? 'sink group' : 'sink', plan.name);
        continue;
      }
      const unit = this.makeUnit(plan, channels);
      units.set(plan.name, unit);
      startUnits.push(unit);
      note(old ? 'replaced' : 'added', unit.group ? 'sink group' : 'sink', plan.name);
    }
    const stopUnits = [...b.units].filter(([n, u]) => units.get(n) !== u).map(([, u]) => u);
    for (const [n, u] of b.units) if (!units.has(n)) note('removed', u.group ? 'sink group' : 'sink', n);

    // Everything is built: from here on the running configuration changes.
    this.state = 'CONFIGURING';
    try {
      for (const c of addedChannels) await c.channel.start();
      await Promise.all(stopSources.map((s) => s.runner.stop()));
      for (const r of rewire) {
        r.unit.interceptors.splice(1, Infinity, ...r.interceptors);
        r.unit.selector.current = r.selector;
        r.unit.conf = r.conf;
        Object.assign(r.unit, sourceKeys(r.conf));
      }
      // A unit on a channel that stays stops at once: its open take rolls back into the channel.
      const retiredChannels = new Set(retired.map((c) => c.channel));
      const draining = stopUnits.filter((u) => retiredChannels.has(b.channels.get(u.channel)!.channel));
      await Promise.all(stopUnits.filter((u) => !draining.includes(u)).map(stopUnit));
      // A retired channel gets no more puts; its old sinks empty it before it stops.
      await Promise.all(
        retired.map(async (c) => {
          await this.drained(c.channel);
          await Promise.all(draining.filter((u) => b.channels.get(u.channel) === c).map(stopUnit));
          await c.channel.stop();
        }),
      );
      for (const c of replacingChannels) await c.channel.start();
      for (const u of startUnits) await startUnit(u, channels);
      for (const s of startSources) await s.runner.start();
    } catch (e) {
      // Applied in part (a new component could not start: a port in use): what runs is kept, so the
      // agent goes on and a later reload can fix the rest. The old parts the step did not get to are
      // stopped here: the new maps no longer hold them, so stop() could not close them later.
      await Promise.allSettled([
        ...stopSources.map((s) => s.runner.stop()),
        ...stopUnits.map(stopUnit),
        ...retired.map((c) => c.channel.stop()),
      ]);
      this.adopt(next, { channels, sources, units });
      this.version++;
      this.state = 'ACTIVE';
      throw new SluiceError('SLUICE_CONFIG', `applied in part: ${asSluiceError(e).oneLine()}`, { cause: e });
    }
    this.adopt(next, { channels, sources, units });
    this.version++;
    this.state = 'ACTIVE';
    return changes;
  }

  private adopt(conf: AgentConf, built: Built): void {
    this.conf = conf;
    this.built = built;
  }

  /** Waits until a retired channel holds nothing and no put is open, or gives up after RETIRE_DRAIN_MS. */
  private async drained(ch: MeteredChannel): Promise<void> {
    const deadline = Date.now() + RETIRE_DRAIN_MS;
    for (let wait = 5; !ch.idle; wait = Math.min(wait * 2, 200)) {
      if (Date.now() >= deadline) {
        this.ctx.logger.warn(
          `agent ${this.conf.name}: channel ${ch.name} still holds ${ch.size} events after ${RETIRE_DRAIN_MS} ms; stopping it anyway`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** One line: per source what it accepted, per sink what it delivered, dropped and retried. */
  private logSummary(): void {
    const r = this.totals();
    const parts = [
      ...r.sources.map(
        (s) => `source ${s.name}: ${s.accepted} accepted${s.failed > 0 ? `, ${s.failed} failed` : ''}`,
      ),
      ...r.sinks.map(
        (k) => `sink ${k.name}: ${k.delivered} delivered, ${k.dropped} dropped, ${k.retried} retried`,
      ),
      ...r.channels
        .filter((c) => c.size > 0)
        .map((c) => `channel ${c.name}: ${c.size} left${c.durable ? ' for the next start' : ''}`),
    ];
    const line = `agent ${this.conf.name} stopped${parts.length > 0 ? `: ${parts.join('; ')}` : ''}`;
    if (this.faults().length > 0) this.ctx.logger.warn(line);
    else this.ctx.logger.info(line);
  }

  /**
   * What makes a run a failure (docs/cli.md, exit statuses), one line each: a source in ERROR, events
   * of batches that failed on their way into the channels, events a sink dropped, events left in a
   * channel that does not keep them (a memory channel; a file channel hands them to the next start).
   */
  faults(): string[] {
    const r = this.totals();
    return [
      ...r.sources
        .filter((s) => s.state === 'ERROR')
        .map((s) => `source ${s.name} failed${s.error ? `: ${s.error}` : ''}`),
      ...r.sources
        .filter((s) => s.failed > 0)
        .map((s) => `source ${s.name}: ${s.failed} events in failed batches`),
      ...r.sinks.filter((k) => k.dropped > 0).map((k) => `sink ${k.name} dropped ${k.dropped} events`),
      ...r.channels
        .filter((c) => c.size > 0 && !c.durable)
        .map((c) => `channel ${c.name}: ${c.size} events lost with it`),
    ];
  }

  channel(name: string): Channel | undefined {
    return this.built?.channels.get(name)?.channel.inner;
  }

  /**
   * The agent in the report shape every pipeline shares: per source what it read (before interceptors)
   * and put into its channels, per channel what was put and taken, per sink group what it moved, per
   * sink what it was given and delivered.
   */
  report(): PipelineReport {
    const b = this.built;
    const components: ComponentReport[] = [];
    for (const s of b?.sources.values() ?? []) {
      const r = s.meter.report(s.runner.state, s.runner.error ? { lastError: s.runner.error } : undefined);
      r.eventsOut = s.runner.accepted;
      r.bytesOut = s.runner.acceptedBytes;
      // The runner counts events of failed batches.
      r.errors = s.runner.failed;
      components.push(r);
    }
    for (const c of b?.channels.values() ?? [])
      components.push(c.channel.meter.report(this.state, { buffer: c.channel.buffer() }));
    for (const u of b?.units.values() ?? []) {
      if (u.group && u.runner) {
        const m = new ComponentMeter('sinkgroup', u.name, 'sinkgroup');
        m.eventsOut = u.runner.delivered;
        m.bytesOut = u.runner.deliveredBytes;
        m.errors = u.runner.failures;
        components.push(m.report(this.state));
      }
      for (const k of u.sinks) {
        const m = this.tally.meter(k);
        const type = this.conf.sinks.find((s) => s.name === k)?.type ?? '';
        if (m) components.push({ ...m.report(this.state), type });
        else components.push(new ComponentMeter('sink', k, type).report(this.state));
      }
    }
    return { name: this.conf.name, kind: 'agent', state: this.state, version: this.version, components };
  }

  /** The counts of the stop summary. */
  totals(): {
    sources: { name: string; state: string; accepted: number; failed: number; error?: string }[];
    /** `failures`: events of appends that failed (back to the channel, so also in `retried`). */
    sinks: { name: string; delivered: number; dropped: number; retried: number; failures: number }[];
    /** `durable`: the channel keeps what it holds across restarts (a file channel). */
    channels: { name: string; size: number; durable: boolean }[];
  } {
    const b = this.built;
    return {
      sources: [...(b?.sources.values() ?? [])].map(({ runner: s }) => ({
        name: s.name,
        state: s.state,
        accepted: s.accepted,
        failed: s.failed,
        ...(s.error ? { error: s.error } : {}),
      })),
      sinks: this.tally.list().map((t) => ({
        name: t.name,
        delivered: t.delivered,
        dropped: t.dropped,
        retried: t.retried + t.failed,
        failures: t.failed,
      })),
      channels: [...(b?.channels.values() ?? [])].map((c) => ({
        name: c.channel.name,
        size: c.channel.size,
        durable: isFileChannel(c.channel),
      })),
    };
  }
}

const isFileChannel = (c: MeteredChannel) => c.type.toLowerCase() === 'file';

async function startUnit(u: SinkUnit, channels: ReadonlyMap<string, ChannelUnit>): Promise<void> {
  if (u.drainer) await u.drainer.start(channels.get(u.channel)!.channel.inner);
  else await u.runner!.start();
}

async function stopUnit(u: SinkUnit): Promise<void> {
  if (u.drainer) await u.drainer.stop();
  else await u.runner!.stop();
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
