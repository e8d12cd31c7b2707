/**
 * The order in which agent number `agent` (its place among the auto-chain agents of its flow) tries
 * `collectors` collectors, as indexes into the collectors in name order.
 *
 * Primaries go round-robin, so they differ by at most one agent per collector. The agents sharing a
 * primary get different second choices (round-robin over the other collectors), so when a collector
 * dies its agents spread over the rest instead of all landing on one (the seed's reason for giving
 * every agent its own chain). The rest of each chain follows cyclically, so every chain holds every
 * collector once.
 */
export function chainOrder(collectors: number, agent: number): number[] {
  if (collectors <= 0) return [];
  const primary = agent % collectors;
  if (collectors === 1) return [0];
  const others = collectors - 1;
  const shift = Math.floor(agent / collectors) % others;
  const out = [primary];
  for (let d = 0; d < others; d++) out.push((primary + 1 + ((shift + d) % others)) % collectors);
  return out;
}
