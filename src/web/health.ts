import type { PipelineReport } from '../flow/report.js';

/**
 * The health rule of `/api/v1/health`, after Fluent Bit's: the node is unhealthy while a logical node,
 * an agent or one of its components is in ERROR (or, seen from a master, a logical node is LOST), or
 * when more than `maxErrors` failed batches or more than `maxRetryFailures` events given up on (dropped
 * after their retries) were counted within the last `periodMs`. Counters are sampled on every check and once per second by the server, so "within the
 * period" is exact to a second.
 */
export interface HealthRule {
  periodMs: number;
  maxErrors: number;
  maxRetryFailures: number;
}

export const DEFAULT_HEALTH_RULE: HealthRule = { periodMs: 60_000, maxErrors: 0, maxRetryFailures: 0 };

export interface Health {
  healthy: boolean;
  /** Why the node is unhealthy, one line each; empty when healthy. */
  reasons: string[];
  /** Failed batches and events given up on within the period. */
  errors: number;
  retryFailures: number;
  periodSeconds: number;
}

interface Sample {
  at: number;
  /** Per component (`pipeline/component`): errors and drops so far. */
  errors: Map<string, number>;
  dropped: Map<string, number>;
}

function sample(at: number, reports: readonly PipelineReport[]): Sample {
  const errors = new Map<string, number>();
  const dropped = new Map<string, number>();
  for (const p of reports)
    for (const c of p.components) {
      const key = `${p.name}/${c.kind} ${c.name}`;
      errors.set(key, c.errors);
      if (c.dropped !== undefined) dropped.set(key, c.dropped);
    }
  return { at, errors, dropped };
}

/**
 * Adds what each counter grew by from `base` to `now` into `into`. A component replaced by a
 * reconfiguration starts again from 0: a counter lower than its base is counted from 0, as Prometheus
 * reads a counter reset.
 */
function addGrowth(into: Map<string, number>, now: Map<string, number>, base: Map<string, number>): void {
  for (const [k, v] of now) {
    const b = base.get(k) ?? 0;
    const d = v >= b ? v - b : v;
    if (d > 0) into.set(k, (into.get(k) ?? 0) + d);
  }
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

export class HealthWatch {
  private readonly samples: Sample[];

  constructor(
    readonly rule: HealthRule = DEFAULT_HEALTH_RULE,
    now = Date.now(),
  ) {
    // Counters start at 0 with the host: an empty first sample is the true baseline.
    this.samples = [{ at: now, errors: new Map(), dropped: new Map() }];
  }

  /** Records the counters now and forgets samples older than the period (keeping one as its base). */
  observe(reports: readonly PipelineReport[], now = Date.now()): void {
    // At most one sample per second is kept, so a flood of checks cannot grow the list past the period.
    const s = sample(now, reports);
    const last = this.samples.length - 1;
    if (last > 0 && now - this.samples[last - 1]!.at < 1000) this.samples[last] = s;
    else this.samples.push(s);
    const from = now - this.rule.periodMs;
    while (this.samples.length > 2 && this.samples[1]!.at <= from) this.samples.shift();
  }

  check(reports: readonly PipelineReport[], now = Date.now()): Health {
    this.observe(reports, now);
    const from = now - this.rule.periodMs;
    const first = Math.max(
      0,
      this.samples.findIndex((s) => s.at >= from),
    );
    // Step by step, so a counter reset between two samples loses nothing counted before it.
    const errors = new Map<string, number>();
    const dropped = new Map<string, number>();
    for (let i = first + 1; i < this.samples.length; i++) {
      addGrowth(errors, this.samples[i]!.errors, this.samples[i - 1]!.errors);
      addGrowth(dropped, this.samples[i]!.dropped, this.samples[i - 1]!.dropped);
    }
    const reasons: string[] = [];
    for (const p of reports) {
      if (p.state === 'ERROR')
        reasons.push(`${p.kind} ${p.name} is in ERROR${p.error ? `: ${p.error}` : ''}`);
      // Only a master reports LOST: a logical node whose physical node missed its heartbeats.
      if (p.state === 'LOST') reasons.push(`${p.kind} ${p.name} is LOST: its node missed its heartbeats`);
      for (const c of p.components)
        if (c.state === 'ERROR')
          reasons.push(`${p.name}: ${c.kind} ${c.name} is in ERROR${c.lastError ? `: ${c.lastError}` : ''}`);
    }
    const seconds = Math.round(this.rule.periodMs / 1000);
    const nErrors = sum(errors);
    const nDropped = sum(dropped);
    if (nErrors > this.rule.maxErrors)
      reasons.push(
        `${nErrors} failed batches within ${seconds} s (${[...errors].map(([k, v]) => `${k}: ${v}`).join(', ')})`,
      );
    if (nDropped > this.rule.maxRetryFailures)
      reasons.push(
        `${nDropped} events given up on within ${seconds} s (${[...dropped].map(([k, v]) => `${k}: ${v}`).join(', ')})`,
      );
    return {
      healthy: reasons.length === 0,
      reasons,
      errors: nErrors,
      retryFailures: nDropped,
      periodSeconds: seconds,
    };
  }
}
