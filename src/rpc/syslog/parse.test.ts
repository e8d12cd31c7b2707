import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Priority } from '../../core/priority.js';
import {
  priorityToSeverity,
  readSyslogNumber,
  SYSLOG_FACILITY,
  SYSLOG_PARSE_ERROR,
  SYSLOG_SEVERITY,
  SyslogParser,
  severityToPriority,
} from './parse.js';
import { Zone } from './zone.js';

const NOW = Date.UTC(2026, 10, 26, 10, 47, 23, 500); // 2026-11-26T10:47:23.500Z

function parse(line: string | Buffer, opts: { zone?: string; now?: number; peer?: string } = {}) {
  const p = new SyslogParser({ zone: Zone.of(opts.zone ?? 'UTC') });
  const b = typeof line === 'string' ? Buffer.from(line) : line;
  return p.parse(b, 0, b.length, opts.now ?? NOW, 42, opts.peer ?? '10.0.0.9');
}

describe('syslog parse: PRI', () => {
  it('splits facility and severity and maps severity to a Flume priority', () => {
    const e = parse('<37>hello via syslog');
    assert.deepEqual([...e.getAttr(SYSLOG_FACILITY)!], [4]);
    assert.deepEqual([...e.getAttr(SYSLOG_SEVERITY)!], [5]);
    assert.equal(e.priority, Priority.INFO);
    assert.equal(e.body.toString(), '<37>hello via syslog');
    assert.equal(e.host, '10.0.0.9', 'no header: the sender is the host');
    assert.equal(e.timestamp, NOW, 'no header: the receive time');
    assert.equal(e.nanos, 42);
    assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false);
  });

  it('maps every severity as documented', () => {
    const want = ['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG'];
    for (let sev = 0; sev < 8; sev++) {
      const e = parse(`<${16 * 8 + sev}>x`);
      assert.equal(Priority[e.priority], want[sev], `severity ${sev}`);
      assert.equal(severityToPriority(sev), e.priority);
      assert.deepEqual([...e.getAttr(SYSLOG_FACILITY)!], [16]);
    }
    assert.equal(priorityToSeverity(Priority.ERROR), 3);
    assert.equal(priorityToSeverity(Priority.TRACE), 7);
  });

  it('accepts <0> and <191>, rejects what is not a PRI with a named error and user.notice', () => {
    assert.equal(parse('<0>x').priority, Priority.FATAL);
    assert.deepEqual([...parse('<191>x').getAttr(SYSLOG_FACILITY)!], [23]);
    const cases: [string, string][] = [
      ['no pri at all', 'missing PRI: the message does not start with "<"'],
      ['<>x', 'bad PRI: no digits after "<"'],
      ['<1234>x', 'bad PRI: more than 3 digits'],
      ['<13x', 'bad PRI: missing ">"'],
      ['<13', 'bad PRI: missing ">"'],
      ['<192>x', 'bad PRI: 192 is above 191'],
    ];
    for (const [line, error] of cases) {
      const e = parse(line);
      assert.equal(e.getAttrString(SYSLOG_PARSE_ERROR), error, line);
      assert.equal(e.body.toString(), line, 'the raw line is kept');
      assert.deepEqual([...e.getAttr(SYSLOG_SEVERITY)!], [5]);
      assert.equal(e.priority, Priority.INFO);
      assert.equal(e.timestamp, NOW);
    }
  });

  it('reads attribute numbers written as one byte or as decimal text', () => {
    assert.equal(readSyslogNumber(Buffer.from([4]), 23), 4);
    assert.equal(readSyslogNumber(Buffer.from('17'), 23), 17);
    assert.equal(readSyslogNumber(Buffer.from('7'), 7), 7);
    assert.equal(readSyslogNumber(Buffer.from('24'), 23), undefined);
    assert.equal(readSyslogNumber(Buffer.from('x'), 23), undefined);
    assert.equal(readSyslogNumber(undefined, 23), undefined);
  });
});

describe('syslog parse: RFC 3164', () => {
  it('reads timestamp and host (what util-linux logger --rfc3164 sends)', () => {
    const e = parse('<13>Nov 26 10:47:23 vm root: hello world');
    assert.equal(e.timestamp, Date.UTC(2026, 10, 26, 10, 47, 23));
    assert.equal(e.host, 'vm');
    assert.equal(e.body.toString(), '<13>Nov 26 10:47:23 vm root: hello world');
    assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false);
  });

  it('reads space-padded and unpadded days', () => {
    assert.equal(parse('<13>Nov  6 01:02:03 h m').timestamp, Date.UTC(2026, 10, 6, 1, 2, 3));
    assert.equal(parse('<13>Nov 6 01:02:03 h m').timestamp, Date.UTC(2026, 10, 6, 1, 2, 3));
  });

  it('takes the year closest to now: a December line read in January is last year', () => {
    const jan1 = Date.UTC(2027, 0, 1, 0, 0, 30);
    assert.equal(
      parse('<13>Dec 31 23:59:58 h m', { now: jan1 }).timestamp,
      Date.UTC(2026, 11, 31, 23, 59, 58),
    );
    const dec31 = Date.UTC(2026, 11, 31, 23, 59, 59);
    assert.equal(parse('<13>Jan  1 00:00:01 h m', { now: dec31 }).timestamp, Date.UTC(2027, 0, 1, 0, 0, 1));
  });

  it('reads the time in the configured zone', () => {
    const e = parse('<13>Jul  4 12:00:00 h m', { zone: 'America/New_York', now: Date.UTC(2026, 6, 4, 16) });
    assert.equal(e.timestamp, Date.UTC(2026, 6, 4, 16, 0, 0), 'EDT is UTC-4');
    const w = parse('<13>Jan 15 12:00:00 h m', { zone: 'America/New_York', now: Date.UTC(2026, 0, 15, 17) });
    assert.equal(w.timestamp, Date.UTC(2026, 0, 15, 17, 0, 0), 'EST is UTC-5');
    const k = parse('<13>Jan 15 12:00:00 h m', { zone: 'Asia/Kolkata', now: Date.UTC(2026, 0, 15, 7) });
    assert.equal(k.timestamp, Date.UTC(2026, 0, 15, 6, 30, 0));
  });

  it('Feb 29 goes to the nearest leap year', () => {
    const e = parse('<13>Feb 29 10:00:00 h m', { now: Date.UTC(2028, 2, 1) });
    assert.equal(e.timestamp, Date.UTC(2028, 1, 29, 10));
    const bad = parse('<13>Feb 29 10:00:00 h m', { now: Date.UTC(2026, 2, 1) });
    assert.equal(bad.getAttrString(SYSLOG_PARSE_ERROR), 'bad RFC 3164 timestamp');
  });

  it('treats a tag in the host position as a missing host', () => {
    assert.equal(parse('<13>Nov 26 10:47:23 sshd[42]: x').host, '10.0.0.9');
    assert.equal(parse('<13>Nov 26 10:47:23 su: x').host, '10.0.0.9');
    assert.equal(parse('<13>Nov 26 10:47:23 web-01.example.com sshd[42]: x').host, 'web-01.example.com');
  });

  it('reads RFC 3339 stamps in the 3164 layout (rsyslog forward format)', () => {
    const e = parse('<30>2026-11-26T10:00:00.250+01:00 box app: x');
    assert.equal(e.timestamp, Date.UTC(2026, 10, 26, 9, 0, 0, 250));
    assert.equal(e.host, 'box');
  });

  it('names bad timestamps and keeps the event', () => {
    for (const line of ['<13>Nov 32 10:47:23 h m', '<13>Nov 26 25:47:23 h m', '<13>Nov 26 10:47 h m']) {
      const e = parse(line);
      assert.equal(e.getAttrString(SYSLOG_PARSE_ERROR), 'bad RFC 3164 timestamp', line);
      assert.equal(e.timestamp, NOW);
      assert.equal(e.host, '10.0.0.9');
    }
    assert.equal(
      parse('<13>2026-13-01T00:00:00Z h m').getAttrString(SYSLOG_PARSE_ERROR),
      'bad RFC 3339 timestamp',
    );
  });

  it('a month-looking word that is not a stamp is plain text', () => {
    const e = parse('<13>Mayday everyone');
    assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false);
    assert.equal(e.host, '10.0.0.9');
  });
});

describe('syslog parse: RFC 5424', () => {
  it('reads what util-linux logger --rfc5424 sends', () => {
    const line =
      '<13>1 2026-11-26T10:47:23.802009+00:00 vm root - - [timeQuality tzKnown="1" isSynced="0"] hi5424';
    const e = parse(line);
    assert.equal(e.timestamp, Date.UTC(2026, 10, 26, 10, 47, 23, 802));
    assert.equal(e.host, 'vm');
    assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false);
    assert.equal(e.body.toString(), line);
  });

  it('reads the RFC examples: offsets, fractions, nil values', () => {
    const a = parse('<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - msg');
    assert.equal(a.timestamp, Date.UTC(2003, 9, 11, 22, 14, 15, 3));
    assert.equal(a.host, 'mymachine.example.com');
    assert.equal(a.priority, Priority.FATAL);
    const b = parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time");
    assert.equal(b.timestamp, Date.UTC(2003, 7, 24, 12, 14, 15, 0));
    assert.equal(b.host, '192.0.2.1');
    const c = parse('<165>1 2003-10-11T22:14:15.3Z h evntslog - ID47 [exampleSDID@32473 iut="3"] x');
    assert.equal(c.timestamp, Date.UTC(2003, 9, 11, 22, 14, 15, 300));
    const nil = parse('<14>1 - - - - - -');
    assert.equal(nil.timestamp, NOW);
    assert.equal(nil.host, '10.0.0.9');
    assert.equal(nil.hasAttr(SYSLOG_PARSE_ERROR), false);
  });

  it('names what is wrong in a 5424 header', () => {
    const cases: [string, string][] = [
      ['<14>2 2003-10-11T22:14:15Z h a p m - x', 'unsupported syslog version 2'],
      ['<14>1 2003-10-11 22:14:15Z h a p m - x', 'bad RFC 5424 timestamp'],
      ['<14>1 2003-10-11T22:14:15+0100 h a p m - x', 'bad RFC 5424 timestamp'],
      ['<14>1 2003-02-30T22:14:15Z h a p m - x', 'bad RFC 5424 timestamp'],
      ['<14>1 - h a', 'RFC 5424 header incomplete: no procid'],
      ['<14>1 - h a p', 'RFC 5424 header incomplete: no msgid'],
      ['<14>1 - h a p m x', 'RFC 5424 structured data must be "-" or start with "["'],
      ['<14>1 ', 'RFC 5424 header incomplete: no timestamp'],
    ];
    for (const [line, error] of cases) {
      assert.equal(parse(line).getAttrString(SYSLOG_PARSE_ERROR), error, line);
    }
  });

  it('never reads past the end of its slice', () => {
    // The next message in the same buffer must not complete this one.
    const buf = Buffer.from('<14>1 2003-10-11T22:14:15.003Z h a p m -');
    const p = new SyslogParser({ zone: Zone.UTC });
    const e = p.parse(buf, 0, 30, NOW, 0, 'peer'); // cut right after the stamp
    assert.equal(e.body.toString(), '<14>1 2003-10-11T22:14:15.003Z');
    assert.equal(e.timestamp, Date.UTC(2003, 9, 11, 22, 14, 15, 3));
    assert.equal(e.getAttrString(SYSLOG_PARSE_ERROR), 'RFC 5424 header incomplete: no hostname');
    const bsd = Buffer.from('<13>Nov 26 10:47:23 host');
    assert.equal(
      p.parse(bsd, 0, 17, NOW, 0, 'peer').getAttrString(SYSLOG_PARSE_ERROR),
      'bad RFC 3164 timestamp',
    );
  });
});

describe('syslog parse: garbage', () => {
  it('turns random bytes into events without throwing', () => {
    const p = new SyslogParser({ zone: Zone.of('Europe/Paris') });
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const prefixes = ['<', '<1', '<13>', '<13>1 ', '<13>Nov ', '<13>2026-', '<13>1 2026-11-26T', ''];
    for (let i = 0; i < 5000; i++) {
      const len = rnd() % 80;
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = rnd() & 0xff;
      const buf = Buffer.concat([Buffer.from(prefixes[i % prefixes.length]!), b]);
      const e = p.parse(buf, 0, buf.length, NOW, 0, 'peer');
      assert.equal(e.body.length, buf.length);
      assert.ok(Number.isFinite(e.timestamp));
      assert.ok(e.priority >= 0 && e.priority <= 5);
    }
  });
});

describe('syslog parse: one parser over a stream', () => {
  it('a repeated RFC 3164 stamp gives the same time, a changed one its own, and the year follows now', () => {
    const p = new SyslogParser({ zone: Zone.of('UTC') });
    const at = (line: string, now: number) => {
      const b = Buffer.from(line);
      return p.parse(b, 0, b.length, now, 1, '10.0.0.9');
    };
    const t = Date.UTC(2026, 11, 31, 23, 59, 58);
    assert.equal(at('<13>Dec 31 23:59:58 h a', t).timestamp, t);
    assert.equal(at('<13>Dec 31 23:59:58 h b', t + 500).timestamp, t);
    assert.equal(at('<13>Dec 31 23:59:59 h c', t + 900).timestamp, t + 1000);
    assert.equal(at('<13>Dec  1 23:59:59 h d', t + 900).timestamp, Date.UTC(2026, 11, 1, 23, 59, 59));
    // The same bytes read much later: resolved again against the new now (a year on, it is that year's).
    const later = Date.UTC(2027, 11, 31, 23, 0, 0);
    assert.equal(at('<13>Dec  1 23:59:59 h e', later).timestamp, Date.UTC(2027, 11, 1, 23, 59, 59));
    const bad = at('<13>Dec 32 23:59:59 h f', later);
    assert.ok(bad.getAttr(SYSLOG_PARSE_ERROR));
    assert.equal(at('<13>Dec  1 23:59:59 h g', later).timestamp, Date.UTC(2027, 11, 1, 23, 59, 59));
  });
});
