/**
 * Syslog benchmark peers (a helper, not a test): an rsyslogd to compare with or to forward through,
 * and a TCP load generator.
 *
 *   startRsyslog({ dir })                 rsyslogd -n on a private config and work directory:
 *                                         imtcp on `port` (0 picks a free one) -> omfile `dir/out.log`,
 *                                         or with `forward` -> omfwd to another TCP receiver
 *   sendLoad({ port, messages, connections })
 *                                         N messages over C connections, as fast as the receiver takes
 *                                         them: every connection's bytes are built before the clock
 *                                         starts and written in 256 KiB chunks, honouring drain
 *   runLoad({ ..., received })            sendLoad, then waits for `received()` (the receiver has all N):
 *                                         for rsyslog peer.waitForLines(N), for Sluice the promise of
 *                                         a sluiceReceiver (its callback counts events)
 *   benchSyslog()                         both side by side, as bench rows (suite "syslog")
 *
 * Each message is an RFC 3164 line of about 100 bytes ("<13>Mmm dd hh:mm:ss benchhost bench[C]:
 * message C-I ..."), newline-framed unless octetCounting is set. rsyslogd is found on PATH or in
 * /usr/sbin; without it, startRsyslog throws and benchSyslog reports Sluice alone.
 */

import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { freePort } from '../src/core/ports.js';
import { SyslogTcpSource } from '../src/sources/syslog.js';
import type { Row } from './harness.js';

export { freePort };

/** The rsyslogd binary, or undefined when it is not installed. */
export function rsyslogdPath(): string | undefined {
  for (const p of ['/usr/sbin/rsyslogd', '/sbin/rsyslogd', '/usr/local/sbin/rsyslogd'])
    if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v rsyslogd'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** A free TCP port on 127.0.0.1 (free now: rsyslogd needs a number in its config). */
export interface RsyslogOptions {
  /** Private work directory: config, pid file, queue files and out.log go here. */
  dir: string;
  /** imtcp port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** Forward everything received to this TCP receiver (omfwd) instead of writing out.log. */
  forward?: { host: string; port: number; octetCounting?: boolean };
  /** omfile template (rsyslog string template); default "%msg%\n" with the leading space dropped. */
  template?: string;
}

export interface RsyslogPeer {
  readonly port: number;
  readonly dir: string;
  readonly outFile: string;
  readonly process: ChildProcess;
  /** Lines written to out.log so far (counted incrementally). */
  lines(): number;
  /** Resolves with the line count once it reaches n; rejects after timeoutMs. */
  waitForLines(n: number, timeoutMs?: number): Promise<number>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
  stop(): Promise<void>;
}

export async function startRsyslog(opts: RsyslogOptions): Promise<RsyslogPeer> {
  const bin = rsyslogdPath();
  if (bin === undefined) throw new Error('rsyslogd is not installed (apt-get install -y rsyslog)');
  mkdirSync(opts.dir, { recursive: true });
  const port = opts.port || (await freePort());
  const outFile = join(opts.dir, 'out.log');
  const template = opts.template ?? '%msg:2:$%\\n';
  // Only imtcp is loaded: no imuxsock (/dev/log) or imklog, so it never touches the system's logging.
  // The filter keeps rsyslogd's own start/stop notices out of what is counted.
  const action = opts.forward
    ? `action(type="omfwd" target="${opts.forward.host}" port="${opts.forward.port}" protocol="tcp"` +
      ` TCP_Framing="${opts.forward.octetCounting ? 'octet-counted' : 'traditional'}"` +
      ' template="RSYSLOG_ForwardFormat" action.resumeRetryCount="-1" action.resumeInterval="1"' +
      ' queue.type="LinkedList" queue.size="1000000")'
    : `action(type="omfile" file="${outFile}" template="bench" asyncWriting="on" ioBufferSize="256k" flushOnTXEnd="on")`;
  const conf = [
    `global(workDirectory="${opts.dir}" maxMessageSize="64k")`,
    'main_queue(queue.size="1000000" queue.dequeueBatchSize="1024")',
    'module(load="imtcp" MaxSessions="1000")',
    `input(type="imtcp" port="${port}" address="127.0.0.1")`,
    `template(name="bench" type="string" string="${template}")`,
    `if $inputname == "imtcp" then {`,
    `  ${action}`,
    '}',
    '',
  ].join('\n');
  const confFile = join(opts.dir, 'rsyslog.conf');
  writeFileSync(confFile, conf);
  writeFileSync(outFile, '');
  const child = spawn(bin, ['-n', '-f', confFile, '-i', join(opts.dir, 'rsyslogd.pid')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  // 60 s: the tests start rsyslogd on loaded CI machines too; only a hang should time out.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`rsyslogd exited at start: ${stderr.trim()}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`rsyslogd did not listen on ${port} within 60 s: ${stderr.trim()}`);
    }
    await sleep(50);
  }

  let counted = 0;
  let offset = 0;
  const chunk = Buffer.allocUnsafe(1 << 20);
  const lines = () => {
    const fd = openSync(outFile, 'r');
    try {
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, offset);
        if (n <= 0) break;
        offset += n;
        for (let i = chunk.indexOf(10, 0); i >= 0 && i < n; i = chunk.indexOf(10, i + 1)) counted++;
      }
    } finally {
      closeSync(fd);
    }
    return counted;
  };
  return {
    port,
    dir: opts.dir,
    outFile,
    process: child,
    lines,
    async waitForLines(n, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const c = lines();
        if (c >= n) return c;
        if (Date.now() > end) throw new Error(`rsyslog wrote ${c} of ${n} lines within ${timeoutMs} ms`);
        await sleep(c === 0 ? 20 : 5);
      }
    },
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The bytes one connection sends: `count` messages numbered from 0, tagged with the connection. */
export function buildMessages(connection: number, count: number, octetCounting = false): Buffer {
  const d = new Date();
  const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)}`;
  const pad = 'lorem ipsum dolor sit amet consectetur';
  const parts: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const msg = `<13>${stamp} benchhost bench[${connection}]: message ${connection}-${i} ${pad}`;
    parts[i] = octetCounting ? `${Buffer.byteLength(msg)} ${msg}` : `${msg}\n`;
  }
  return Buffer.from(parts.join(''));
}

export interface LoadOptions {
  host?: string;
  port: number;
  messages: number;
  connections: number;
  octetCounting?: boolean;
}

/**
 * The sender runs on a worker thread so it does not share an event loop with a Sluice receiver in this
 * process (rsyslogd has its own process): each side gets its own core. Plain JavaScript, so the worker
 * needs no TypeScript loader.
 */
const SENDER = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect } = require('node:net');
const { host, port, bufs } = workerData;
const CHUNK = 256 * 1024;
function sendOne(data) {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.on('error', reject);
    s.on('close', () => resolve());
    s.once('connect', () => {
      let pos = 0;
      const pump = () => {
        while (pos < data.length) {
          const end = Math.min(pos + CHUNK, data.length);
          const ok = s.write(data.subarray(pos, end));
          pos = end;
          if (!ok) { s.once('drain', pump); return; }
        }
        s.end();
      };
      pump();
    });
  });
}
parentPort.once('message', async () => {
  const t0 = performance.now();
  try {
    await Promise.all(bufs.map((b) => sendOne(Buffer.from(b.buffer, b.byteOffset, b.byteLength))));
    parentPort.postMessage({ sendMs: performance.now() - t0 });
  } catch (e) {
    parentPort.postMessage({ error: String(e) });
  }
});
parentPort.postMessage({ ready: true });
`;

/**
 * Sends the load from a worker thread; resolves when every connection has handed all its bytes to the
 * kernel and closed. The messages are built before the clock starts; `onStart` runs when it starts.
 */
export async function sendLoad(
  opts: LoadOptions,
  onStart?: () => void,
): Promise<{ bytes: number; sendMs: number }> {
  const per = Math.floor(opts.messages / opts.connections);
  const bufs = Array.from({ length: opts.connections }, (_, c) =>
    buildMessages(
      c,
      c === opts.connections - 1 ? opts.messages - per * (opts.connections - 1) : per,
      opts.octetCounting,
    ),
  );
  const worker = new Worker(SENDER, {
    eval: true,
    workerData: { host: opts.host ?? '127.0.0.1', port: opts.port, bufs },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    const done = new Promise<{ sendMs?: number; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    onStart?.();
    worker.postMessage('go');
    const r = await done;
    if (r.error !== undefined) throw new Error(`load sender: ${r.error}`);
    return { bytes: bufs.reduce((n, b) => n + b.length, 0), sendMs: r.sendMs! };
  } finally {
    await worker.terminate();
  }
}

export interface LoadResult {
  messages: number;
  bytes: number;
  sendMs: number;
  /** From the first byte sent to the receiver having every message. */
  totalMs: number;
  perSecond: number;
}

/** sendLoad, then `received()` (resolves when the receiver has them all); the clock covers both. */
export async function runLoad(opts: LoadOptions & { received: () => Promise<unknown> }): Promise<LoadResult> {
  let t0 = 0;
  const sending = sendLoad(opts, () => {
    t0 = performance.now();
  });
  const [sent] = await Promise.all([sending, opts.received()]);
  const totalMs = performance.now() - t0;
  return {
    messages: opts.messages,
    bytes: sent.bytes,
    sendMs: sent.sendMs,
    totalMs,
    perSecond: (opts.messages / totalMs) * 1000,
  };
}

export interface SluiceReceiver {
  port: number;
  /** Events pulled so far. */
  count(): number;
  /** Resolves once `expected` events were pulled (the callback of the brief); rejects after timeoutMs. */
  all(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** A Sluice syslogTcp source on 127.0.0.1 drained by a counting loop, as a flow would pull it. */
export async function sluiceReceiver(
  expected: number,
  opts: { port?: number; onAll?: () => void } = {},
): Promise<SluiceReceiver> {
  const src = new SyslogTcpSource({ port: opts.port ?? 0, bind: '127.0.0.1' });
  await src.open();
  let n = 0;
  let notify: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    notify = resolve;
  });
  void (async () => {
    for (;;) {
      const r = src.next();
      const b = r instanceof Promise ? await r : r;
      if (b === null) return;
      n += b.length;
      if (n >= expected && notify) {
        notify();
        notify = undefined;
        opts.onAll?.();
      }
    }
  })();
  return {
    port: src.port,
    count: () => n,
    async all(timeoutMs = 60_000) {
      let t: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        t = setTimeout(
          () => reject(new Error(`Sluice received ${n} of ${expected} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(t);
      }
    },
    stop: () => src.close(),
  };
}

/** Sluice's syslogTcp against rsyslogd (imtcp -> omfile), same load: rows for bench/run.ts. */
export async function benchSyslog(messages = 1_000_000, connections = 4): Promise<Row[]> {
  const rows: Row[] = [];
  const sluice = await sluiceReceiver(messages);
  let s: LoadResult;
  try {
    s = await runLoad({ port: sluice.port, messages, connections, received: () => sluice.all() });
  } finally {
    await sluice.stop();
  }
  rows.push({
    suite: 'syslog',
    name: `syslogTcp receive (${connections} connections)`,
    value: s.perSecond,
    unit: 'msg/s',
  });
  if (rsyslogdPath() === undefined) {
    rows[0]!.note = 'rsyslogd not installed: no peer figure';
    return rows;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-rsyslog-'));
  const peer = await startRsyslog({ dir });
  try {
    const r = await runLoad({
      port: peer.port,
      messages,
      connections,
      received: () => peer.waitForLines(messages, 300_000),
    });
    rows.push({
      suite: 'syslog',
      name: `rsyslogd imtcp -> omfile (${connections} connections)`,
      value: r.perSecond,
      unit: 'msg/s',
    });
    rows[0]!.ratio = { against: 'rsyslogd', value: s.perSecond / r.perSecond };
  } finally {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// `node --import tsx bench/syslog-peer.ts [messages] [connections]` prints both figures.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchSyslog(Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 4));
  for (const r of rows)
    console.log(
      `${r.name.padEnd(44)} ${Math.round(r.value).toLocaleString('en-US').padStart(12)} ${r.unit}${r.ratio ? `  ${r.ratio.value.toFixed(2)}x ${r.ratio.against}` : ''}`,
    );
}
