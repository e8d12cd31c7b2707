import type { Event } from '../core/event.js';

/**
 * NG interceptors may replace a header (`preserveExisting = false`), which Sluice's events otherwise
 * forbid downstream; this is the one place that does it, on purpose and per the interceptor's config.
 */
export function setHeader(e: Event, name: string, value: string | Buffer, preserveExisting: boolean): void {
  if (e.hasAttr(name)) {
    if (preserveExisting) return;
    e.deleteAttr(name);
  }
  e.setAttr(name, value);
}
