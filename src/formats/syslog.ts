import type { Batch, Event } from '../core/event.js';
import { MONTHS_SHORT, pad2 } from '../core/timezone.js';
import { encodeLines, SecondCache, zoneOf } from './text.js';
import type { FormatDef, FormatOptions, OutputFormat } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * A line like syslog and syslog-ng write, as Flume OG's syslog output format did:
 *
 *   MMM dd HH:mm:ss host service: body
 *   Aug 21 08:02:39 soundwave NetworkManager: <info> (wlan0): supplicant
 *
 * `service: ` appears only when the event has a `service` attribute (Flume's syslog parser sets it).
 * The body is written as its bytes, unescaped; the date is in the configured zone, without a year, as
 * syslog has none.
 */
export const syslogFormat: FormatDef = {
  kind: 'format',
  name: 'syslog',
  docs: 'A syslog-like line: "MMM dd HH:mm:ss host service: body", service from the `service` attribute when present.',
  extension: '',
  create(opts: FormatOptions = {}): OutputFormat {
    const dates = new SecondCache(
      zoneOf(opts.timeZone),
      (c) =>
        `${MONTHS_SHORT[c.month - 1]} ${pad2(c.day)} ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)}`,
    );
    const prefix = (e: Event) => {
      const service = e.getAttrString('service');
      return service === undefined
        ? `${dates.get(e.timestamp)} ${e.host} `
        : `${dates.get(e.timestamp)} ${e.host} ${service}: `;
    };
    return {
      name: 'syslog',
      header: () => EMPTY,
      encode: (batch: Batch) => encodeLines(batch, prefix, (e) => e.body),
      footer: () => EMPTY,
    };
  },
};
