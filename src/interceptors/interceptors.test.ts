import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InterceptorDef } from '../catalog/ng.js';
import { ComponentProperties } from '../catalog/properties.js';
import { SiteConfig } from '../core/config.js';
import { Event } from '../core/event.js';
import { memoryLogger } from '../core/logger.js';
import { INTERCEPTORS } from './index.js';

const ctx = { config: SiteConfig.defaults(), nodeName: 'a1', allowExec: false, logger: memoryLogger() };
function make(type: string, props: Record<string, string> = {}) {
  const def = INTERCEPTORS.find((d) => d.type === type) as InterceptorDef;
  return def.create(new ComponentProperties(`interceptor ${type}`, def.properties, props), ctx);
}
const events = (...bodies: string[]) => bodies.map((b) => Event.of(b, { timestamp: 5 }));

test('timestamp writes the header and the event time; preserveExisting keeps an old one', () => {
  const before = Date.now();
  const [e] = make('timestamp')(events('x'));
  assert.ok(Number(e!.getAttrString('timestamp')) >= before);
  assert.equal(e!.timestamp, Number(e!.getAttrString('timestamp')));
  const old = Event.of('y', { attrs: { ts: '1' } });
  make('timestamp', { headerName: 'ts', preserveExisting: 'true' })([old]);
  assert.equal(old.getAttrString('ts'), '1');
  make('timestamp', { headerName: 'ts' })([old]);
  assert.notEqual(old.getAttrString('ts'), '1');
});

test('static, host and uuid add headers', () => {
  const [e] = make('static', { key: 'dc', value: 'eu1' })(events('x'));
  assert.equal(e!.getAttrString('dc'), 'eu1');
  const [h] = make('host', { useIP: 'false', hostHeader: 'h' })(events('x'));
  assert.ok(h!.getAttrString('h')!.length > 0);
  const out = make('uuid', { prefix: 'a-' })(events('1', '2'));
  assert.match(out[0]!.getAttrString('id')!, /^a-[0-9a-f-]{36}$/);
  assert.notEqual(out[0]!.getAttrString('id'), out[1]!.getAttrString('id'));
});

test('regex_filter keeps or excludes, regex_extractor fills named headers', () => {
  const kept = make('regex_filter', { regex: '^ERROR' })(events('ERROR a', 'INFO b', 'ERROR c'));
  assert.deepEqual(
    kept.map((e) => e.body.toString()),
    ['ERROR a', 'ERROR c'],
  );
  const dropped = make('regex_filter', { regex: '^ERROR', excludeEvents: 'true' })(
    events('ERROR a', 'INFO b'),
  );
  assert.deepEqual(
    dropped.map((e) => e.body.toString()),
    ['INFO b'],
  );
  const [e] = make('regex_extractor', {
    regex: '^(\\w+) (\\d+)',
    serializers: 's1 s2',
    'serializers.s1.name': 'level',
    'serializers.s2.name': 'code',
  })(events('WARN 42 disk'));
  assert.deepEqual([e!.getAttrString('level'), e!.getAttrString('code')], ['WARN', '42']);
});

test('a bad regex and a bad boolean are errors naming the property', () => {
  assert.throws(() => make('regex_filter', { regex: '(' }), /bad regex/);
  assert.throws(
    () => make('static', { preserveExisting: 'maybe' }),
    /preserveExisting must be true or false, got "maybe"/,
  );
});
