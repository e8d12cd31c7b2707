/**
 * Events per second from a cumulative counter a node reads out with each heartbeat (a report's
 * `eventsIn` or `eventsOut`): the counter's growth between two readings over the time between them.
 * The master's throughput charts (throughput.ts) and the flow picture's arrows (master/flow-graph.ts)
 * both read their rates here; `sluice top` (top-table.ts) and the node page count growth the same
 * way, so a chart, an arrow and a terminal over the same readings agree.
 *
 * - The first reading gives no rate (`perSecond` stays undefined): there is nothing to compare it to.
 * - A reading not later than the last one (the same heartbeat seen again, or a late one that another
 *   master published after a newer one came) is ignored: no division by a zero or negative time.
 * - A counter that fell was started again (a reconfigured node's components count from 0), so all of
 *   its value was counted since the last reading: the growth counts from 0, as Prometheus's `rate()`
 *   reads a counter reset. This is a lower bound of the true rate (what the replaced component counted
 *   after the last reading is lost); reporting no rate instead, as the flow picture once did, is a
 *   lower one still and makes an arrow blink to 0 at every reconfiguration.
 */
/**
 * How much a cumulative counter grew from `before` to `after`; a counter that fell was started again,
 * so all of `after` counts (the rule of CounterRate below, and of `sluice top`).
 */
export function counterGrowth(after: number, before: number): number {
  return after >= before ? after - before : after;
}

export class CounterRate {
  /** Events per second between the last two readings; undefined until two readings came. */
  perSecond: number | undefined = undefined;
  private atMs = Number.NEGATIVE_INFINITY;
  private count = 0;

  /** Takes the counter's value read at `atMs`; false (nothing changes) when that is not later than the last reading. */
  read(count: number, atMs: number): boolean {
    if (!(atMs > this.atMs)) return false;
    if (this.atMs !== Number.NEGATIVE_INFINITY) {
      this.perSecond = (counterGrowth(count, this.count) * 1000) / (atMs - this.atMs);
    }
    this.atMs = atMs;
    this.count = count;
    return true;
  }
}
