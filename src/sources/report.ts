import type { NodeReportReading, SourceDef } from '../catalog/types.js';
import { SluiceError } from '../core/errors.js';
import { type Batch, Event, localHost, nowNanos } from '../core/event.js';
import type { EventSource } from '../core/pipeline.js';
import { Priority } from '../core/priority.js';
import { Waker } from './waker.js';

/** Flume OG named no default period; half a minute keeps a reporting flow light. */
export const DEFAULT_REPORT_PERIOD_MS = 30_000;

/**
 * Flume OG's `report[(periodMillis)]`: every period, one event made of the local physical node's
 * report. Each figure is an attribute named as the report names it (`feed.sink.text.eventsOut`), its
 * value the figure's decimal text in UTF-8 (OG's "uninterpreted arrays of bytes": text reads in every
 * output format and `%{...}` escape); the body is a one-line summary. Never drained: it reports until
 * the node closes it.
 */
export class ReportSource implements EventSource {
  private readonly waker = new Waker();
  /** When the next reading is due; readings keep to the period instead of drifting by its delays. */
  private due = 0;

  constructor(
    private readonly periodMs: number,
    private readonly read: () => NodeReportReading,
  ) {}

  open(): Promise<void> {
    this.due = Date.now() + this.periodMs;
    return Promise.resolve();
  }

  async next(): Promise<Batch | null> {
    const now = Date.now();
    // A pipeline that fell behind by more than a period reports once, then keeps the period from now.
    if (this.due < now - this.periodMs) this.due = now;
    if (this.due > now) await this.waker.wait(this.due - now);
    if (this.waker.isClosed) return null;
    this.due += this.periodMs;
    return [readingEvent(this.read())];
  }

  close(): Promise<void> {
    this.waker.close();
    return Promise.resolve();
  }
}

/** One event of a reading: attributes in its order (its names are distinct), the summary as body. */
export function readingEvent(r: NodeReportReading): Event {
  const kv: (string | Buffer)[] = [];
  for (const [name, value] of r.attributes) kv.push(name, Buffer.from(String(value)));
  return Event.withAttrs(Buffer.from(r.summary), Date.now(), Priority.INFO, nowNanos(), localHost(), kv);
}

export const reportSource: SourceDef = {
  kind: 'source',
  name: 'report',
  docs:
    'Polls the report of the local physical node every periodMillis milliseconds and emits it as one ' +
    'event: an attribute per figure, named as /api/report names it (`node`, `<pipeline>.state`, ' +
    '`<pipeline>.version`, `<pipeline>.<kind>.<component>.<field>` with the fields eventsIn, eventsOut, ' +
    'bytes, bytesOut, batches, errors, dropped, size, sizeBytes, capacity, byteCapacity, fillPercentage ' +
    'and state), each value the decimal text of the figure as bytes; the body is a summary line. Every ' +
    'logical node (or the agent) of the process is in it, this one included. Never drained.',
  params: [
    {
      name: 'periodMillis',
      type: 'int',
      default: DEFAULT_REPORT_PERIOD_MS,
      docs: 'Milliseconds between two reports (at least 1).',
    },
  ],
  build(args, ctx) {
    const periodMs = args.int('periodMillis');
    if (!Number.isSafeInteger(periodMs) || periodMs <= 0)
      throw new SluiceError('SLUICE_SPEC_BAD_ARGUMENT', `periodMillis must be positive, got ${periodMs}`, {
        place: { component: 'report', field: 'periodMillis' },
      });
    // Checking a configuration (validate, --check) builds components outside any host: nothing to report.
    const read =
      ctx.nodeReport ??
      (() => ({
        attributes: [['node', ctx.nodeName]],
        summary: `report of ${ctx.nodeName}: no pipelines hosted`,
      }));
    return new ReportSource(periodMs, read);
  },
};
