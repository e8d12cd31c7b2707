import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TS } from '../../test/support/sample-events.js';
import { Event } from '../core/event.js';
import { syslogFormat } from './syslog.js';

test('syslog: MMM dd HH:mm:ss host [service: ]body, body bytes unescaped', () => {
  const f = syslogFormat.create();
  const out = f.encode([
    Event.of('<info> (wlan0): supplicant', {
      timestamp: TS,
      host: 'soundwave',
      attrs: { service: 'NetworkManager' },
    }),
    Event.of(Buffer.from([0x61, 0xff, 0x62]), { timestamp: Date.UTC(2010, 7, 1, 8, 2, 39), host: 'h2' }),
  ]);
  assert.deepEqual(
    out,
    Buffer.concat([
      Buffer.from('Nov 19 08:37:13 soundwave NetworkManager: <info> (wlan0): supplicant\n'),
      Buffer.from('Aug 01 08:02:39 h2 a'),
      Buffer.from([0xff]),
      Buffer.from('b\n'),
    ]),
  );
});

test('syslog: dates in the configured zone', () => {
  const f = syslogFormat.create({ timeZone: 'Asia/Tokyo' });
  assert.equal(f.encode([Event.of('m', { timestamp: TS, host: 'h' })]).toString(), 'Nov 19 17:37:13 h m\n');
});
