import type { Batch, Event } from '../core/event.js';
import { priorityName } from '../core/priority.js';
import { MONTHS_SHORT, pad2, pad4, WEEKDAYS_SHORT } from '../core/timezone.js';
import { encodeLines, escapeJava, SecondCache, zoneOf } from './text.js';
import type { FormatDef, FormatOptions, OutputFormat } from './types.js';

const EMPTY = Buffer.alloc(0);

/**
 * The console's debugging line, as Flume OG printed events:
 *
 *   host [PRIORITY EEE MMM dd HH:mm:ss zzz yyyy] body{ attributes}
 *   server1 [INFO Thu Nov 19 08:37:13 UTC 2009] say \"hi\"\n { AckType : msg rolltag : 2009 }
 *
 * The date is Java's Date#toString in the configured zone. The body is escaped with `escapeJava`
 * (quotes and backslashes doubled, \n \t ..., other non-printable or non-ASCII characters as \uXXXX,
 * bytes that are not UTF-8 as \xNN), so one event is always one line. When the event has attributes,
 * ` { name : value name : value }` follows, sorted by name, names and values escaped like the body
 * (a binary attribute such as AckChecksum shows as escapes, e.g. `\u0000...\xBE\xEF`).
 */
export const debugFormat: FormatDef = {
  kind: 'format',
  name: 'debug',
  aliases: ['default'],
  docs:
    'The debugging line of the console: host [PRIORITY date] body, with Java-style escapes for special ' +
    'characters of the body and the attributes as { name : value ... } after it. `default` is another name.',
  extension: '',
  create(opts: FormatOptions = {}): OutputFormat {
    const dates = new SecondCache(
      zoneOf(opts.timeZone),
      (c, zone, ts) =>
        `${WEEKDAYS_SHORT[c.weekday]} ${MONTHS_SHORT[c.month - 1]} ${pad2(c.day)} ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)} ${zone.abbreviation(ts)} ${pad4(c.year)}`,
    );
    const prefix = (e: Event) => `${e.host} [${priorityName(e.priority)} ${dates.get(e.timestamp)}] `;
    return {
      name: 'debug',
      header: () => EMPTY,
      encode: (batch: Batch) => encodeLines(batch, prefix, debugBody),
      footer: () => EMPTY,
    };
  },
};

function debugBody(e: Event): string {
  const body = escapeJava(e.body);
  if (e.attrCount === 0) return body;
  const names = e.attrNames().sort();
  let out = `${body} {`;
  for (const name of names) out += ` ${escapeJava(Buffer.from(name))} : ${escapeJava(e.getAttr(name)!)}`;
  return `${out} }`;
}
