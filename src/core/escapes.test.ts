import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSluiceError } from './errors.js';
import { compileEscapes, confineValue } from './escapes.js';
import { Event } from './event.js';
import { Priority } from './priority.js';

// Thursday 19 November 2009, 08:37:13.456 UTC (day 323 of the year).
const TS = Date.UTC(2009, 10, 19, 8, 37, 13, 456);

function ev(timestamp = TS, attrs: Record<string, string | Buffer> = {}): Event {
  return Event.of('the body', {
    timestamp,
    priority: Priority.WARN,
    nanos: 123456789,
    host: 'server1',
    attrs,
  });
}

const esc = (pattern: string, e: Event = ev(), timeZone?: string) =>
  compileEscapes(pattern, timeZone ? { timeZone } : {})(e);

test('event field escapes, %% and %t', () => {
  assert.equal(esc('%{host}'), 'server1');
  assert.equal(esc('%{nanos}'), '123456789');
  assert.equal(esc('%{priority}'), 'WARN');
  assert.equal(esc('%{body}'), 'the body');
  assert.equal(esc('100%%'), '100%');
  assert.equal(esc('%%{host}'), '%{host}');
  assert.equal(esc('%t'), '1258619833456');
  assert.equal(esc('/flume/%{host}-%t.log'), '/flume/server1-1258619833456.log');
});

test('attributes: UTF-8 value, missing is empty, fields win over attributes of the same name', () => {
  const e = ev(TS, { rolltag: '20091119-083713456-0800.12.seq', city: 'Zürich', host: 'attr-host' });
  assert.equal(esc('file-%{rolltag}', e), 'file-20091119-083713456-0800.12.seq');
  assert.equal(esc('%{city}/x', e), 'Zürich/x');
  assert.equal(esc('[%{missing}]', e), '[]');
  assert.equal(esc('%{host}', e), 'server1');
  assert.equal(esc('%{weird name!}', ev(TS, { 'weird name!': 'ok' })), 'ok');
});

test('every date escape in UTC', () => {
  const expected: Record<string, string> = {
    a: 'Thu',
    A: 'Thursday',
    b: 'Nov',
    B: 'November',
    c: 'Thu Nov 19 08:37:13 2009',
    d: '19',
    D: '11/19/09',
    H: '08',
    I: '08',
    j: '323',
    k: '8',
    l: '8',
    m: '11',
    M: '37',
    P: 'AM',
    s: '1258619833',
    S: '13',
    y: '09',
    Y: '2009',
    z: '+0000',
  };
  for (const [letter, want] of Object.entries(expected)) assert.equal(esc(`%${letter}`), want, `%${letter}`);
  assert.equal(esc('/webdata/%Y-%m-%d/%H00/'), '/webdata/2009-11-19/0800/');
});

test('afternoon, single-digit day and month, leap-year day 366', () => {
  const pm = Date.UTC(2012, 2, 3, 23, 5, 25, 0); // Saturday 3 March 2012
  assert.equal(esc('%a %b %d %D %I %l %k %P %j', ev(pm)), 'Sat Mar 03 03/03/12 11 11 23 PM 063');
  assert.equal(esc('%c', ev(pm)), 'Sat Mar 3 23:05:25 2012');
  assert.equal(esc('%j', ev(Date.UTC(2012, 11, 31, 12))), '366');
  assert.equal(esc('%I %l %P', ev(Date.UTC(2012, 0, 1, 0, 30))), '12 12 AM');
  assert.equal(esc('%I %l %P', ev(Date.UTC(2012, 0, 1, 12, 30))), '12 12 PM');
});

test('a non-UTC zone: America/New_York in standard time, Asia/Kolkata at +0530', () => {
  assert.equal(esc('%Y-%m-%d %H:%M:%S %z %I%P', ev(), 'America/New_York'), '2009-11-19 03:37:13 -0500 03AM');
  assert.equal(esc('%Y-%m-%d %H:%M:%S %z %l%P %k', ev(), 'Asia/Kolkata'), '2009-11-19 14:07:13 +0530 2PM 14');
  // %s and %t are instants: the zone does not change them.
  assert.equal(esc('%s %t', ev(), 'Asia/Kolkata'), '1258619833 1258619833456');
  // Crossing midnight moves the day, weekday and day of year.
  assert.equal(esc('%a %d %j', ev(Date.UTC(2009, 10, 19, 23, 0)), 'Pacific/Kiritimati'), 'Fri 20 324');
});

test('DST transitions in America/New_York (spring forward, fall back)', () => {
  const f = compileEscapes('%H:%M:%S %z', { timeZone: 'America/New_York' });
  // 14 March 2021: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
  assert.equal(f(ev(Date.UTC(2021, 2, 14, 6, 59, 59))), '01:59:59 -0500');
  assert.equal(f(ev(Date.UTC(2021, 2, 14, 7, 0, 0))), '03:00:00 -0400');
  // 7 November 2021: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:30 happens twice.
  assert.equal(f(ev(Date.UTC(2021, 10, 7, 5, 30, 0))), '01:30:00 -0400');
  assert.equal(f(ev(Date.UTC(2021, 10, 7, 6, 30, 0))), '01:30:00 -0500');
  // Back to the first instant: the per-second cache must not return the last value.
  assert.equal(f(ev(Date.UTC(2021, 2, 14, 6, 59, 59))), '01:59:59 -0500');
});

test('the per-second cache follows every change of second, including before 1970', () => {
  const f = compileEscapes('%Y%m%d%H%M%S');
  const seconds = [0, 1, 0, 86_400, -1, 59, 1_000_000_000];
  for (const s of seconds) {
    const want = new Date(s * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    assert.equal(f(ev(s * 1000 + 999)), want, `second ${s}`);
    assert.equal(f(ev(s * 1000)), want, `second ${s}`);
  }
  assert.equal(esc('%s', ev(-500)), '-1');
});

test('flags: hasEscapes and usesTime', () => {
  const plain = compileEscapes('/var/log/flume/');
  assert.equal(plain.hasEscapes, false);
  assert.equal(plain.usesTime, false);
  assert.equal(plain(ev()), '/var/log/flume/');
  assert.equal(compileEscapes('50%%').hasEscapes, false);
  const attr = compileEscapes('%{host}');
  assert.equal(attr.hasEscapes, true);
  assert.equal(attr.usesTime, false);
  assert.equal(compileEscapes('%t').usesTime, true);
  assert.equal(compileEscapes('x/%Y').usesTime, true);
  assert.equal(compileEscapes('x/%Y').pattern, 'x/%Y');
});

test('malformed patterns: SluiceError SLUICE_ESCAPE naming the column', () => {
  const cases: [string, number, RegExp][] = [
    ['/logs/%Q/x', 7, /unknown escape "%Q"/],
    ['abc%{host', 4, /unterminated "%\{"/],
    ['trailing %', 10, /lone "%"/],
    ['%{}', 1, /empty attribute name/],
    ['xyy-%rolltag', 5, /unknown escape "%r"/],
  ];
  for (const [pattern, column, re] of cases) {
    assert.throws(
      () => compileEscapes(pattern),
      (e: unknown) => {
        assert.ok(isSluiceError(e));
        assert.equal(e.code, 'SLUICE_ESCAPE');
        assert.equal(e.place?.column, column, pattern);
        assert.match(e.message, re);
        assert.match(e.message, new RegExp(`column ${column}\\b`));
        assert.equal(e.detail, `${pattern}\n${' '.repeat(column - 1)}^`);
        return true;
      },
    );
  }
});

test('an unknown time zone is a SLUICE_CONFIG error', () => {
  assert.throws(
    () => compileEscapes('%H', { timeZone: 'Mars/Olympus' }),
    /unknown time zone "Mars\/Olympus"/,
  );
});

test('micro benchmark sanity: a large batch from few seconds gives exact results', (t) => {
  const f = compileEscapes('/flume/%Y-%m-%d/%H%M/%{host}-%{rolltag}', { timeZone: 'Europe/Paris' });
  const n = 200_000;
  const batch: Event[] = [];
  for (let i = 0; i < n; i++) batch.push(ev(TS + i, { rolltag: 'r1' }));
  const start = process.hrtime.bigint();
  const counts = new Map<string, number>();
  for (const e of batch) {
    const p = f(e);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  const ns = Number(process.hrtime.bigint() - start);
  // 200 000 ms from 09:37:13.456 Paris time span 09:37 to 09:40: four buckets.
  assert.deepEqual(
    [...counts.entries()],
    [
      ['/flume/2009-11-19/0937/server1-r1', 46_544],
      ['/flume/2009-11-19/0938/server1-r1', 60_000],
      ['/flume/2009-11-19/0939/server1-r1', 60_000],
      ['/flume/2009-11-19/0940/server1-r1', 33_456],
    ],
  );
  t.diagnostic(`${Math.round(n / (ns / 1e9)).toLocaleString('en-US')} escapes/s`);
});

test('confined values: every byte that could reshape a path is percent-encoded, the rest stays', () => {
  const path = compileEscapes('/data/%{host}/%{app}-%Y', { confine: true });
  const e = (host: string, app: string) => Event.of('x', { timestamp: TS, host, attrs: { app } });
  assert.equal(path(e('web1.example.com', 'nginx')), '/data/web1.example.com/nginx-2009');
  assert.equal(path.confined, 0, 'an ordinary path is not counted');
  assert.equal(
    path(e('../../escape1', 'x/../../../../escape4')),
    '/data/%2E.%2F..%2Fescape1/x%2F..%2F..%2F..%2F..%2Fescape4-2009',
  );
  assert.equal(path(e('a\u0000b', 'c\\d%e\u007f\n')), '/data/a%00b/c%5Cd%25e%7F%0A-2009');
  assert.equal(path(e('..', '.')), '/data/%2E./%2E-2009');
  assert.equal(path(e('.hidden', 'a.b')), '/data/%2Ehidden/a.b-2009', 'a leading dot only');
  assert.equal(path(e('Zürich', 'v1.2')), '/data/Zürich/v1.2-2009', 'other text stays');
  assert.equal(path.confined, 4, 'one count per path with a rewritten value');
});

test('confined values: an empty segment made of values is %00, an empty value beside text stays empty', () => {
  const f = compileEscapes('%{a}/x/%{a}%{b}/%{a}-y/%{a}', { confine: true });
  assert.equal(f(Event.of('x')), '%00/x/%00/-y/%00');
  assert.equal(f(Event.of('x', { attrs: { b: 'B' } })), '%00/x/B/-y/%00');
  // Date parts are never empty, so a segment holding one needs no placeholder.
  assert.equal(compileEscapes('/d/%{a}%Y/', { confine: true })(ev()), '/d/2009/');
  // Without `confine` nothing changes: the format decorator writes values as they are.
  assert.equal(compileEscapes('/d/%{host}/')(Event.of('x', { host: '../..' })), '/d/../../');
});

test('confineValue is the documented rule and fixedPrefix is the text before the first escape', () => {
  assert.equal(confineValue('a/b\\c%d'), 'a%2Fb%5Cc%25d');
  assert.equal(confineValue('\u0001\u001f'), '%01%1F');
  assert.equal(confineValue('plain-host_1'), 'plain-host_1');
  assert.equal(confineValue('../x'), '%2E.%2Fx');
  assert.equal(compileEscapes('file:///data/%{host}/x').fixedPrefix, 'file:///data/');
  assert.equal(compileEscapes('/100%%/x').fixedPrefix, '/100%/x');
  assert.equal(compileEscapes('%{host}').fixedPrefix, '');
});

test('a value over 100 bytes keeps its first 91 bytes, ~ and a hash: distinct values stay distinct', () => {
  const a = confineValue('h'.repeat(300));
  const b = confineValue(`${'h'.repeat(299)}i`);
  assert.match(a, /^h{91}~[0-9a-f]{8}$/);
  assert.equal(Buffer.byteLength(a), 100);
  assert.notEqual(a, b);
  assert.equal(confineValue('h'.repeat(300)), a, 'the same value always gives the same name');
  assert.equal(confineValue('h'.repeat(100)), 'h'.repeat(100));
  // Multi-byte characters and %XX sequences are never cut in two.
  assert.match(confineValue('é'.repeat(80)), /^(é){45}~[0-9a-f]{8}$/);
  assert.match(confineValue('/'.repeat(80)), /^(%2F){30}~[0-9a-f]{8}$/);
  assert.match(confineValue(`a${'/'.repeat(80)}`), /^a(%2F){30}~[0-9a-f]{8}$/);
});
