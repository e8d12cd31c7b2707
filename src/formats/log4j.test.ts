import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TS } from '../../test/support/sample-events.js';
import { Event } from '../core/event.js';
import { Priority } from '../core/priority.js';
import { log4jFormat } from './log4j.js';

test('log4j: yyyy-MM-dd HH:mm:ss,SSS PRIORITY host: escaped body', () => {
  const f = log4jFormat.create();
  const out = f.encode([
    Event.of('Starting DataNode', { timestamp: TS, priority: Priority.INFO, host: 'dn1' }),
    Event.of('two\nlines', { timestamp: TS + 544, priority: Priority.ERROR, host: 'dn2' }),
    Event.of('early', { timestamp: Date.UTC(2010, 0, 2, 3, 4, 5, 7), priority: Priority.WARN, host: 'dn3' }),
  ]);
  assert.equal(
    out.toString(),
    '2009-11-19 08:37:13,456 INFO dn1: Starting DataNode\n' +
      '2009-11-19 08:37:14,000 ERROR dn2: two\\nlines\n' +
      '2010-01-02 03:04:05,007 WARN dn3: early\n',
  );
});

test('log4j: dates in the configured zone, milliseconds kept', () => {
  const f = log4jFormat.create({ timeZone: 'Europe/Paris' });
  assert.equal(
    f.encode([Event.of('x', { timestamp: TS, priority: Priority.DEBUG, host: 'h' })]).toString(),
    '2009-11-19 09:37:13,456 DEBUG h: x\n',
  );
});
