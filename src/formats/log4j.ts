import type { Batch, Event } from '../core/event.js';
import { priorityName } from '../core/priority.js';
import { pad2, pad3, pad4 } from '../core/timezone.js';
import { encodeLines, escapeJava, SecondCache, zoneOf } from './text.js';
import type { FormatDef, FormatOptions, OutputFormat } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * A line in the pattern CDH gives Hadoop's log4j logs (`%d{ISO8601} %p %c: %m%n`), the event's host
 * standing for the category:
 *
 *   2009-11-19 08:37:13,456 INFO server1: body
 *
 * The body is escaped as in the debug format (Flume OG escaped it too), so a multi-line body stays on
 * one line and the file keeps one event per line.
 */
export const log4jFormat: FormatDef = {
  kind: 'format',
  name: 'log4j',
  docs: 'A line in Hadoop\'s log4j pattern: "yyyy-MM-dd HH:mm:ss,SSS PRIORITY host: body", body Java-escaped.',
  extension: '',
  create(opts: FormatOptions = {}): OutputFormat {
    const dates = new SecondCache(
      zoneOf(opts.timeZone),
      (c) =>
        `${pad4(c.year)}-${pad2(c.month)}-${pad2(c.day)} ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)},`,
    );
    const prefix = (e: Event) => {
      const ms = e.timestamp - Math.floor(e.timestamp / 1000) * 1000;
      return `${dates.get(e.timestamp)}${pad3(ms)} ${priorityName(e.priority)} ${e.host}: `;
    };
    return {
      name: 'log4j',
      header: () => EMPTY,
      encode: (batch: Batch) => encodeLines(batch, prefix, (e) => escapeJava(e.body)),
      footer: () => EMPTY,
    };
  },
};
