import type { AgentConf, ComponentConf, SinkConf, SinkGroupConf, SourceConf } from '../../agentconf/model.js';

/**
 * What an agent's reconfiguration compares: each component's configuration as a canonical string, and
 * the sink runners a file asks for. Equal strings mean an equal configuration, so the component keeps
 * running untouched.
 */

/** A component's type and properties in a canonical order: equal strings mean an equal configuration. */
export function fingerprint(c: ComponentConf, keep: (key: string) => boolean = () => true): string {
  const keys = c.props.keys().filter(keep).sort();
  return JSON.stringify([c.type, ...keys.map((k) => [k, c.props.raw(k)!.value])]);
}

/** Keys of a source that wire it (interceptors, selector, channels) rather than configure it. */
const isWiring = (k: string) =>
  k === 'channels' || k === 'interceptors' || k.startsWith('interceptors.') || k.startsWith('selector.');

export function sourceKeys(s: SourceConf): { ownKey: string; wiringKey: string } {
  return {
    ownKey: fingerprint(s, (k) => !isWiring(k)),
    wiringKey: fingerprint(s, isWiring),
  };
}

/** What one sink runner will take from: a sink group, or a sink of its own. */
export interface UnitPlan {
  name: string;
  key: string;
  channel: string;
  members: SinkConf[];
  group?: SinkGroupConf;
}

export function unitPlans(conf: AgentConf): UnitPlan[] {
  const plans: UnitPlan[] = [];
  const grouped = new Set(conf.sinkgroups.flatMap((g) => g.sinks));
  const sinkKey = (k: SinkConf) => [fingerprint(k), k.channel];
  for (const g of conf.sinkgroups) {
    const members = g.sinks.map((n) => conf.sinks.find((k) => k.name === n)!);
    plans.push({
      name: g.name,
      key: JSON.stringify([fingerprint(g.processor), ...members.map(sinkKey)]),
      channel: members[0]!.channel,
      members,
      group: g,
    });
  }
  for (const k of conf.sinks)
    if (!grouped.has(k.name))
      plans.push({ name: k.name, key: JSON.stringify(sinkKey(k)), channel: k.channel, members: [k] });
  return plans;
}
