import type { ProcessorDef, SinkSelector } from '../../catalog/ng.js';
import { parseValue } from '../../catalog/properties.js';
import { Backoff } from '../../core/backoff.js';

/**
 * Flume NG's sink processors: how a sink group orders its sinks for each batch. The group's runner
 * (sink-group.ts) offers a batch to the sinks in the order the processor gives and tells it which
 * failed and which succeeded; the processor never sees a batch.
 */

/** Flume's default processor: one sink, retried after a pause when it fails. */
export function singleSelector(): SinkSelector {
  return { order: () => [0], failed: () => {}, succeeded: () => {} };
}

/**
 * failover: highest priority first; a failed sink sits out min(maxPenalty, 2^failures x 1000 ms), then
 * is tried again (protocols.md section 5).
 */
export function failoverSelector(priorities: number[], maxPenalty: number): SinkSelector {
  const penalties = priorities.map(() => sinkPenalty(maxPenalty));
  const until = priorities.map(() => 0);
  const byPriority = priorities.map((_, i) => i).sort((a, b) => priorities[b]! - priorities[a]! || a - b);
  return {
    order: (now) => byPriority.filter((i) => until[i]! <= now),
    failed: (i, now) => {
      until[i] = now + penalties[i]!.fail();
    },
    succeeded: (i) => {
      penalties[i]!.reset();
    },
  };
}

/** load_balance: round_robin or random order; with backoff, a failed sink sits out up to maxTimeOut. */
export function loadBalanceSelector(
  n: number,
  policy: 'round_robin' | 'random',
  backoff: boolean,
  maxTimeOut: number,
): SinkSelector {
  let next = 0;
  const penalties = Array.from({ length: n }, () => sinkPenalty(maxTimeOut));
  const until = new Array<number>(n).fill(0);
  return {
    order: (now) => {
      const all = Array.from({ length: n }, (_, k) => k);
      let order: number[];
      if (policy === 'random') {
        for (let k = n - 1; k > 0; k--) {
          const j = Math.floor(Math.random() * (k + 1));
          [all[k], all[j]] = [all[j]!, all[k]!];
        }
        order = all;
      } else {
        order = all.map((k) => (next + k) % n);
        next = (next + 1) % n;
      }
      return backoff ? order.filter((k) => until[k]! <= now) : order;
    },
    failed: (i, now) => {
      const wait = penalties[i]!.fail();
      if (backoff) until[i] = now + wait;
    },
    succeeded: (i) => {
      penalties[i]!.reset();
    },
  };
}

/** Flume NG's sink penalty: 2^failures x 1000 ms (so 2 s after the first failure), capped. */
function sinkPenalty(maxMs: number): Backoff {
  return new Backoff({ initialMs: 2000, maxMs });
}

export const defaultProcessor: ProcessorDef = {
  kind: 'processor',
  type: 'default',
  docs:
    "Flume NG's default processor: a group of one sink (every sink not in a group has one), retried " +
    'after a pause when it fails. In a group of several, only the first sink is used.',
  properties: [],
  create: () => singleSelector(),
};

export const failoverProcessor: ProcessorDef = {
  kind: 'processor',
  type: 'failover',
  docs:
    'Each batch goes to the sink of highest priority that is not sitting out a penalty; a sink that ' +
    'failed sits out min(maxpenalty, 2^failures x 1000 ms), then is tried again, and a success clears ' +
    'its penalty. Sinks of equal priority keep the order of the group.',
  properties: [
    {
      name: 'priority.*',
      type: 'int',
      docs: '`priority.<sink> = 10`: higher first; a sink without one has priority 0.',
    },
    { name: 'maxpenalty', type: 'int', default: '30000', min: 0, docs: 'Longest penalty, ms.' },
  ],
  create(props, sinks) {
    const priorities = sinks.map((name) => {
      const key = `priority.${name}`;
      const raw = props.withPrefix('priority.').get(name);
      if (raw === undefined) return 0;
      const v = parseValue('int', raw);
      if (typeof v !== 'number') throw props.error(key, `${key} must be an integer, got "${raw}"`);
      return v;
    });
    return failoverSelector(priorities, props.int('maxpenalty'));
  },
};

export const loadBalanceProcessor: ProcessorDef = {
  kind: 'processor',
  type: 'load_balance',
  docs:
    'Spreads batches over the sinks in turn (round_robin) or at random; a batch a sink fails goes to ' +
    'the next one. With backoff, a sink that failed sits out min(selector.maxTimeOut, 2^failures x ' +
    '1000 ms).',
  properties: [
    {
      name: 'selector',
      type: 'string',
      default: 'round_robin',
      choices: ['round_robin', 'random'],
      docs: 'The order of the sinks.',
    },
    { name: 'backoff', type: 'bool', default: 'false', docs: 'Whether a failed sink sits out a while.' },
    {
      name: 'selector.maxTimeOut',
      type: 'int',
      default: '30000',
      min: 0,
      docs: 'Longest time a failed sink sits out, ms.',
    },
  ],
  create(props, sinks) {
    const policy = props.string('selector').toLowerCase() === 'random' ? 'random' : 'round_robin';
    return loadBalanceSelector(sinks.length, policy, props.bool('backoff'), props.int('selector.maxTimeOut'));
  },
};

/** The built-in sink processors, listed explicitly. */
export const PROCESSORS: readonly ProcessorDef[] = [
  defaultProcessor,
  failoverProcessor,
  loadBalanceProcessor,
];
