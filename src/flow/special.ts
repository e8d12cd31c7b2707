import type { ParamSpec } from '../catalog/types.js';

/**
 * The special sinks are syntax, not catalog entries, but they are documented with the catalog and
 * `roll`'s argument is bound like any component's.
 */
export const ROLL_DEF = {
  kind: 'sink' as const,
  name: 'roll',
  docs:
    'Roll sink: `roll(millis) { sink }` opens a fresh instance of its child every millis milliseconds ' +
    '(the old one is closed first, so each period is a complete file). Every event carries the ' +
    "period's `rolltag` attribute, so `%{rolltag}` in a child's file name makes one file per period.",
  params: [{ name: 'millis', type: 'int', docs: 'Roll period in milliseconds.' }] as ParamSpec[],
  build(): never {
    throw new Error('roll is built by the flow compiler');
  },
};

export interface SpecialSinkDoc {
  name: string;
  syntax: string;
  docs: string;
}

export const SPECIAL_SINKS: readonly SpecialSinkDoc[] = [
  {
    name: 'fanout',
    syntax: '[ sink1, sink2, ... ]',
    docs:
      'Sends every event to every child (like Unix tee). Children get their own copies of the events, ' +
      'so a decorator in one branch never changes what another branch sees. An append fails if any ' +
      'child failed, after all children were tried.',
  },
  {
    name: 'failover',
    syntax: '< primary ? backup >',
    docs:
      'Sends events to the primary; when it fails to open or append, the batch goes to the backup and ' +
      'the primary is retried after an exponential backoff (1 s doubling to 60 s). Fails only when both ' +
      'fail. `< a ? b ? c >` chains to the right.',
  },
  {
    name: 'roll',
    syntax: 'roll(millis) { sink }',
    docs: ROLL_DEF.docs,
  },
  {
    name: 'let',
    syntax: 'let name := sink in sink',
    docs:
      'Binds one sink instance to a name usable inside the body: every reference shares the same ' +
      'instance (opened once, closed after its last user), e.g. a primary referenced by a failover and ' +
      'by a disk-failover path.',
  },
];
