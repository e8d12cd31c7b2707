// Interoperability with rsyslogd, both ways: (a) rsyslog's omfwd forwarding into Sluice's syslogTcp
// source, (b) Sluice's syslogTcp sink writing into rsyslog's imtcp. Every message is counted and its
// content checked. rsyslogd runs on a private config and work directory (bench/syslog-peer.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { after, describe, it } from 'node:test';
import { type RsyslogPeer, startRsyslog } from '../../bench/syslog-peer.js';
import { Event } from '../../src/core/event.js';
import { Priority } from '../../src/core/priority.js';
import { SYSLOG_FACILITY, SYSLOG_PARSE_ERROR, SYSLOG_SEVERITY } from '../../src/rpc/syslog/parse.js';
import { syslogZone } from '../../src/rpc/syslog/zone.js';
import { SyslogTcpSink } from '../../src/sinks/syslog.js';
import { SyslogTcpSource } from '../../src/sources/syslog.js';
import { peerSkip } from '../support/peers.js';
import { pull } from '../support/source-helpers.js';
import { tempDir } from '../support/tmp.js';

const SKIP = peerSkip('rsyslogd', 'logger');

const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function rsyslog(opts: Omit<Parameters<typeof startRsyslog>[0], 'dir'>): Promise<RsyslogPeer> {
  const peer = await startRsyslog({ dir: tempDir('rsyslog'), ...opts });
  cleanup.push(() => peer.stop());
  return peer;
}

function logger(args: string[], stdin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('logger', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => p.kill(), 20_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`logger exited ${code}: ${err}`));
    });
    p.stdin.on('error', () => {});
    p.stdin.end(stdin);
  });
}

describe('rsyslog omfwd -> Sluice syslogTcp', { skip: SKIP }, () => {
  for (const octetCounting of [false, true]) {
    it(`receives every forwarded message (${octetCounting ? 'octet-counted' : 'newline'} framing)`, async () => {
      const src = new SyslogTcpSource({ port: 0, bind: '127.0.0.1' });
      cleanup.push(() => src.close());
      await src.open();
      const peer = await rsyslog({ forward: { host: '127.0.0.1', port: src.port, octetCounting } });
      const n = 3000;
      const text = (from: number, count: number) =>
        Array.from({ length: count }, (_, i) => `forwarded line ${from + i}`).join('\n');
      const base = ['--tcp', '--server', '127.0.0.1', '--port', String(peer.port), '-t', 'probe'];
      await logger([...base, '--rfc3164', '-p', 'local4.warning'], text(0, n / 2));
      await logger([...base, '--rfc5424', '--octet-count', '-p', 'mail.crit'], text(n / 2, n / 2));
      const { events } = await pull(src, { want: n, timeoutMs: 30_000 });
      assert.equal(events.length, n);
      const seen = new Set<number>();
      for (const e of events) {
        const body = e.body.toString();
        assert.equal(e.hasAttr(SYSLOG_PARSE_ERROR), false, body);
        const m = /probe(?:\[\d+\])?:? forwarded line (\d+)$/.exec(body);
        assert.ok(m, body);
        const i = Number(m[1]);
        seen.add(i);
        assert.equal(e.host, hostname(), 'the original host, as rsyslog forwarded it');
        assert.ok(
          Math.abs(e.timestamp - Date.now()) < 60_000,
          `timestamp ${new Date(e.timestamp).toISOString()}`,
        );
        if (i < n / 2) {
          assert.deepEqual([e.getAttr(SYSLOG_FACILITY)?.[0], e.getAttr(SYSLOG_SEVERITY)?.[0]], [20, 4]);
          assert.equal(e.priority, Priority.WARN);
        } else {
          assert.deepEqual([e.getAttr(SYSLOG_FACILITY)?.[0], e.getAttr(SYSLOG_SEVERITY)?.[0]], [2, 2]);
          assert.equal(e.priority, Priority.FATAL);
        }
      }
      assert.equal(seen.size, n, 'each line exactly once');
    });
  }
});

describe('Sluice syslogTcp sink -> rsyslog imtcp', { skip: SKIP }, () => {
  const cases = [
    { name: 'RFC 3164, newline framing', opts: {} },
    { name: 'RFC 5424, octet counting', opts: { rfc5424: true, octetCounting: true } },
  ];
  for (const c of cases) {
    it(`rsyslog receives every event with its PRI, host and time (${c.name})`, async () => {
      const peer = await rsyslog({
        template:
          '%syslogfacility% %syslogseverity% %hostname% %timereported:::date-unixtimestamp% |%rawmsg%|\\n',
      });
      const sink = new SyslogTcpSink({
        host: '127.0.0.1',
        port: peer.port,
        zone: syslogZone('local'),
        ...c.opts,
      });
      cleanup.push(() => sink.close());
      await sink.open();
      const n = 5000;
      const ts = Date.now() - 3_600_000;
      const priorities = [Priority.FATAL, Priority.ERROR, Priority.WARN, Priority.INFO, Priority.DEBUG];
      const severities = [2, 3, 4, 6, 7];
      for (let b = 0; b < n / 500; b++) {
        const batch = Array.from({ length: 500 }, (_, k) => {
          const i = b * 500 + k;
          const e = Event.of(`app: event ${i}`, {
            host: `node${i % 4}`,
            timestamp: ts + i,
            priority: priorities[i % 5]!,
          });
          if (i % 10 === 0) e.setAttr(SYSLOG_FACILITY, Buffer.from([16]));
          return e;
        });
        await sink.append(batch);
      }
      await sink.close();
      await peer.waitForLines(n, 30_000);
      const lines = readFileSync(peer.outFile, 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, n);
      for (let i = 0; i < n; i++) {
        const m = /^(\d+) (\d+) (\S+) (\d+) \|(.*)\|$/.exec(lines[i]!);
        assert.ok(m, lines[i]);
        assert.equal(Number(m[1]), i % 10 === 0 ? 16 : 1, `facility of ${i}`);
        assert.equal(Number(m[2]), severities[i % 5], `severity of ${i}`);
        assert.equal(m[3], `node${i % 4}`);
        assert.equal(Number(m[4]), Math.floor((ts + i) / 1000));
        assert.ok(m[5]!.endsWith(`app: event ${i}`), m[5]);
      }
    });
  }
});
