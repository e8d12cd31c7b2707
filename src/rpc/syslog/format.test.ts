import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Event } from '../../core/event.js';
import { Priority } from '../../core/priority.js';
import { SyslogWireFormat, startsWithPri } from './format.js';
import { SyslogFramer } from './framing.js';
import { SYSLOG_FACILITY, SYSLOG_PARSE_ERROR, SYSLOG_SEVERITY, SyslogParser } from './parse.js';
import { Zone } from './zone.js';

const TS = Date.UTC(2026, 2, 5, 7, 8, 9, 123);

function ev(
  body: string,
  fields: Partial<{ priority: Priority; host: string; attrs: Record<string, string | Buffer> }> = {},
) {
  return Event.of(body, { timestamp: TS, host: 'web1', ...fields });
}

describe('syslog wire format', () => {
  it('writes RFC 3164 lines with PRI from the priority and the default facility', () => {
    const f = new SyslogWireFormat({ zone: Zone.UTC });
    const out = f.encode([
      ev('hello'),
      ev('bad', { priority: Priority.ERROR }),
      ev('x', { priority: Priority.FATAL }),
    ]);
    assert.equal(
      out.toString(),
      '<14>Mar  5 07:08:09 web1 hello\n<11>Mar  5 07:08:09 web1 bad\n<10>Mar  5 07:08:09 web1 x\n',
    );
  });

  it('takes PRI from syslog attributes (one byte or decimal text) and the zone for the stamp', () => {
    const f = new SyslogWireFormat({ zone: Zone.of('Asia/Tokyo'), facility: 3 });
    const a = ev('a', {
      attrs: { [SYSLOG_FACILITY]: Buffer.from([16]), [SYSLOG_SEVERITY]: Buffer.from([4]) },
    });
    const b = ev('b', { attrs: { [SYSLOG_FACILITY]: '20', [SYSLOG_SEVERITY]: '7' } });
    assert.equal(f.encode([a, b]).toString(), '<132>Mar  5 16:08:09 web1 a\n<167>Mar  5 16:08:09 web1 b\n');
    assert.equal(f.encode([ev('c')]).toString(), '<30>Mar  5 16:08:09 web1 c\n');
  });

  it('writes RFC 5424 headers and octet counts', () => {
    const f = new SyslogWireFormat({ rfc5424: true, octetCounting: true });
    const out = f.encode([ev('two\nlines', { host: 'my host' })]).toString();
    const msg = '<14>1 2026-03-05T07:08:09.123Z my_host - - - - two\nlines';
    assert.equal(out, `${Buffer.byteLength(msg)} ${msg}`);
  });

  it('turns LF inside bodies into spaces when framing by newline', () => {
    const f = new SyslogWireFormat({ zone: Zone.UTC });
    assert.equal(f.encode([ev('a\nb\n')]).toString(), '<14>Mar  5 07:08:09 web1 a b \n');
  });

  it('forwards bodies that already are syslog messages unchanged', () => {
    assert.equal(startsWithPri(Buffer.from('<13>x')), true);
    assert.equal(startsWithPri(Buffer.from('<1345>x')), false);
    assert.equal(startsWithPri(Buffer.from('<>x')), false);
    const f = new SyslogWireFormat({ octetCounting: true });
    assert.equal(
      f.encode([ev('<13>Nov 26 10:47:23 vm root: hi')]).toString(),
      '31 <13>Nov 26 10:47:23 vm root: hi',
    );
  });

  it('round-trips through the framer and parser: same count, bodies, priorities, hosts, seconds', () => {
    for (const opts of [
      {},
      { octetCounting: true },
      { rfc5424: true },
      { rfc5424: true, octetCounting: true },
    ]) {
      const f = new SyslogWireFormat({ ...opts, zone: Zone.of('Europe/Paris') });
      const now = Date.now();
      const events: Event[] = [];
      for (let i = 0; i < 500; i++) {
        events.push(
          Event.of(`message ${i} ${'z'.repeat(i % 50)}`, {
            timestamp: now - i * 1000,
            host: `h${i % 3}`,
            priority: (i % 5) as Priority,
          }),
        );
      }
      const wire = f.encode(events);
      const framer = new SyslogFramer(new SyslogParser({ zone: Zone.of('Europe/Paris') }), 'peer', 4096);
      const got: Event[] = [];
      for (let i = 0; i < wire.length; i += 1000) framer.push(wire.subarray(i, i + 1000), got);
      framer.end(got);
      assert.equal(got.length, 500);
      for (let i = 0; i < 500; i++) {
        const e = got[i]!;
        assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false, e.body.toString());
        assert.ok(e.body.toString().endsWith(` message ${i} ${'z'.repeat(i % 50)}`));
        assert.equal(e.priority, events[i]!.priority, `event ${i}`);
        assert.equal(e.host, `h${i % 3}`);
        const want = opts.rfc5424 ? events[i]!.timestamp : Math.floor(events[i]!.timestamp / 1000) * 1000;
        assert.equal(e.timestamp, want);
      }
    }
  });
});
