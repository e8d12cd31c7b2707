import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleEvents, TS } from '../../test/support/sample-events.js';
import { Event } from '../core/event.js';
import { Priority } from '../core/priority.js';
import { debugFormat } from './debug.js';

test('debug: host [PRIORITY date] escaped body { sorted attributes }', () => {
  const lines = debugFormat.create().encode(sampleEvents()).toString('utf8').split('\n');
  assert.deepEqual(lines, [
    'server1 [INFO Thu Nov 19 08:37:13 UTC 2009] hello world',
    'server2 [WARN Thu Nov 19 08:37:13 UTC 2009] say \\"hi\\"\\n\\tand \\\\ bye { AckChecksum : \\u0000\\u0000\\u0000\\u0000\\u07AD\\xBE\\xEF rolltag : 20091119-083713 }',
    'hôte-é [FATAL Thu Nov 19 08:37:15 UTC 2009] \\u0000\\xFF\\u00E9\\n\\x80',
    ' [TRACE Thu Jan 01 00:00:00 UTC 1970] ',
    'h [DEBUG Thu Nov 19 08:37:13 UTC 2009] dbg {  : empty name \\u00FC :  }',
    'h [ERROR Thu Nov 19 08:37:13 UTC 2009] err',
    '',
  ]);
});

test('debug: the host is UTF-8 in the output; dates follow the configured zone and DST', () => {
  const out = debugFormat.create().encode([Event.of('x', { timestamp: TS, host: 'hôte' })]);
  assert.deepEqual(out.subarray(0, 5), Buffer.from('hôte'));
  const ny = debugFormat.create({ timeZone: 'America/New_York' });
  const e = (ts: number) => Event.of('b', { timestamp: ts, host: 'h', priority: Priority.INFO });
  assert.equal(
    ny.encode([e(TS), e(Date.UTC(2009, 6, 4, 12, 0, 0))]).toString(),
    'h [INFO Thu Nov 19 03:37:13 EST 2009] b\nh [INFO Sat Jul 04 08:00:00 EDT 2009] b\n',
  );
});
