import type { BoundArgs, ParamSpec } from '../../catalog/types.js';
import { SluiceError } from '../../core/errors.js';

/** Java's Integer.MAX_VALUE, Flume's "no limit"; also the longest delay setTimeout accepts. */
export const NO_LIMIT = 2147483647;

/** The backoff of Flume OG's insistent decorators: each wait in ms and the total allowed. */
export interface RetryArgs {
  /** Longest single wait. */
  max: number;
  /** First wait; doubled after every failure up to `max`. */
  init: number;
  /** Total waiting allowed before the error is passed on. */
  cumulativeMax: number;
}

/** `(max, init, cumulativeMax)` of insistentOpen and insistentAppend; `what` says what the total bounds. */
export function retryParams(what: string): ParamSpec[] {
  return [
    { name: 'max', type: 'int', optional: true, default: NO_LIMIT, docs: 'Longest single backoff in ms.' },
    {
      name: 'init',
      type: 'int',
      optional: true,
      default: 1000,
      docs: 'Backoff after the first failure, in ms.',
    },
    {
      name: 'cumulativeMax',
      type: 'int',
      optional: true,
      default: NO_LIMIT,
      docs: `Total backoff allowed${what ? ` ${what}` : ''} before the error is passed on, in ms.`,
    },
  ];
}

export function readRetryArgs(args: BoundArgs): RetryArgs {
  const ms = (field: string, dflt: number) => {
    const v = args.optInt(field) ?? dflt;
    if (!Number.isInteger(v) || v < 0)
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `${field} must be an integer >= 0, got ${v}`, {
        place: { component: args.component, field },
      });
    return Math.min(v, NO_LIMIT);
  };
  return { max: ms('max', NO_LIMIT), init: ms('init', 1000), cumulativeMax: ms('cumulativeMax', NO_LIMIT) };
}
