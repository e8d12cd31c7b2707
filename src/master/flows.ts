import type { TranslationState } from './translate.js';

/**
 * Flows (the seed's "Flow Isolation"): `spawn host node flowid` puts a logical node in a flow, and the
 * auto chains of an agent use only the collectors of its own flow. Nodes spawned without a flow id
 * share the default flow.
 */
export const DEFAULT_FLOW = 'default';

export function flowOf(t: TranslationState, logical: string): string {
  return t.flows[logical] ?? DEFAULT_FLOW;
}

/** Records the flow a spawn names; a spawn without one returns the node to the default flow. */
export function setFlow(t: TranslationState, logical: string, flow: string | undefined): void {
  if (flow === undefined || flow === DEFAULT_FLOW) delete t.flows[logical];
  else t.flows[logical] = flow;
}
