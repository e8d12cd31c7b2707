/**
 * The network suite (`npm run bench -- net`), all figures from one run on one machine:
 *
 *  (a) syslog over TCP into files: a Sluice node `n : syslogTcp(PORT) | collectorSink(file://…)` in its
 *      own process against rsyslogd (imtcp -> omfile), both fed the same messages over the same number
 *      of connections; timed from the first byte sent until the last line is in the output file(s).
 *  (b) the Avro hop: a sender node `asciisynth(N, size) | agentBESink(…)` in a child process, a
 *      collectorSource drained like `| null` in this process; 100-byte and 1-KiB bodies.
 *  (c) the physical limit: a Node process writing large buffers over loopback TCP to this process,
 *      which discards them. Every Sluice figure is also given in MiB/s with its ratio to this one.
 *
 * Each figure is the best of three runs (the machine is shared). See docs/benchmarks-notes.md.
 * `node --import tsx bench/net.ts [syslog|avro|tcp ...]` runs parts alone (development; prints rows).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { takeAck } from '../src/core/ack.js';
import { memoryLogger } from '../src/core/logger.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../src/rpc/avro/frame.js';
import { AvroEventSource } from '../src/sources/avro.js';
import type { Row } from './harness.js';
import { freePort, rsyslogdPath, sendLoad, startRsyslog } from './syslog-peer.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SLUICE = join(ROOT, 'bin', 'sluice.js');
const MiB = 2 ** 20;
const RUNS = 3;

export interface NetBenchOptions {
  /** Parts to run (default all). */
  parts?: ReadonlyArray<'syslog' | 'avro' | 'tcp'>;
  syslogMessages?: number;
  syslogConnections?: number;
  avroEvents100?: number;
  avroEvents1k?: number;
  tcpBytes?: number;
  runs?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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

/** A `sluice node -1` child process; SLUICE_BENCH_NODE_FLAGS adds node flags (e.g. --cpu-prof). */
export interface SluiceChild {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
  stop(): Promise<number | null>;
}

export function startSluice(spec: string, confDir?: string): SluiceChild {
  const flags = (process.env.SLUICE_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const args = [...flags, SLUICE, 'node', '-1', '-e', spec, ...(confDir ? ['--conf', confDir] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => {
    if (err.length < 16_384) err += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    stderr: () => err.trim(),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

async function waitListening(port: number, node: SluiceChild, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let dead = false;
  void node.exited.then(() => {
    dead = true;
  });
  for (;;) {
    if (dead) throw new Error(`${what} exited at start: ${node.stderr()}`);
    if (await canConnect(port)) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not listen on ${port} within 30 s: ${node.stderr()}`);
    await sleep(50);
  }
}

/**
 * Counts the lines and bytes of every file in a directory (hidden temporary files included: a
 * collector writes under `.name.tmp` until it rolls), reading only what was appended since the last call.
 */
class LineCounter {
  private readonly offsets = new Map<string, number>();
  private readonly chunk = Buffer.allocUnsafe(1 << 20);
  lines = 0;
  bytes = 0;

  constructor(
    private readonly dir: string,
    private readonly only?: (name: string) => boolean,
  ) {}

  poll(): number {
    for (const name of readdirSync(this.dir)) {
      if (this.only && !this.only(name)) continue;
      let offset = this.offsets.get(name) ?? 0;
      let fd: number;
      try {
        fd = openSync(join(this.dir, name), 'r');
      } catch {
        continue; // renamed away meanwhile: seen under its new name next time
      }
      try {
        for (;;) {
          const n = readSync(fd, this.chunk, 0, this.chunk.length, offset);
          if (n <= 0) break;
          offset += n;
          this.bytes += n;
          for (let i = this.chunk.indexOf(10, 0); i >= 0 && i < n; i = this.chunk.indexOf(10, i + 1))
            this.lines++;
        }
      } finally {
        closeSync(fd);
      }
      this.offsets.set(name, offset);
    }
    return this.lines;
  }

  async waitFor(n: number, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.poll() < n) {
      if (Date.now() > end)
        throw new Error(`${what} wrote ${this.lines} of ${n} lines within ${timeoutMs} ms`);
      await sleep(this.lines === 0 ? 20 : 5);
    }
  }
}

export interface Timed {
  seconds: number;
  messages: number;
  bytes: number;
  /** CPU seconds (user + system, all threads) the measured process spent during the run, when known. */
  cpu?: number;
  /** The Avro hop: CPU seconds of the receiving process (the sender's are `cpu`). */
  receiverCpu?: number;
}

/** CPU seconds a process has used so far (Linux /proc; undefined elsewhere). */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

function best(runs: Timed[]): Timed {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

/** Sends the load and waits until `counter` has every line; the clock starts as the sender starts. */
async function timedLoad(
  port: number,
  messages: number,
  connections: number,
  counter: LineCounter,
  what: string,
  pid: number | undefined,
): Promise<Timed> {
  let t0 = 0;
  let cpu0: number | undefined;
  const sending = sendLoad({ port, messages, connections }, () => {
    t0 = performance.now();
    cpu0 = cpuSeconds(pid);
  });
  const [sent] = await Promise.all([sending, counter.waitFor(messages, 300_000, what)]);
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuSeconds(pid);
  return {
    seconds,
    messages,
    bytes: sent.bytes,
    ...(cpu0 !== undefined && cpu1 !== undefined ? { cpu: cpu1 - cpu0 } : {}),
  };
}

const SITE_XML = (props: Record<string, string>) =>
  `<?xml version="1.0"?>\n<configuration>\n${Object.entries(props)
    .map(([k, v]) => `  <property><name>${k}</name><value>${v}</value></property>\n`)
    .join('')}</configuration>\n`;

/** One run of (a) for Sluice: a fresh node process and output directory, checked line for line after. */
export async function sluiceSyslogRun(
  base: string,
  run: number,
  messages: number,
  connections: number,
): Promise<Timed> {
  const conf = join(base, `conf-${run}`);
  const out = join(base, `sluice-${run}`);
  mkdirSync(conf, { recursive: true });
  mkdirSync(out, { recursive: true });
  // raw: the body (the whole syslog line as received) and a newline, the bytes rsyslog's template writes.
  writeFileSync(join(conf, 'flume-site.xml'), SITE_XML({ 'flume.collector.output.format': 'raw' }));
  const port = await freePort();
  const spec = `n : syslogTcp(${port}, bind="127.0.0.1") | collectorSink("file://${out}", "syslog-", 3600000) ;`;
  const node = startSluice(spec, conf);
  try {
    await waitListening(port, node, 'sluice node');
    const counter = new LineCounter(out);
    const r = await timedLoad(port, messages, connections, counter, 'sluice collectorSink', node.child.pid);
    const code = await node.stop();
    if (code !== 0) throw new Error(`sluice node ended with ${code}: ${node.stderr()}`);
    // After the clean close every file has its final name: check nothing was lost, doubled or cut.
    const check = new LineCounter(out);
    check.poll();
    if (check.lines !== messages || check.bytes !== r.bytes)
      throw new Error(
        `sluice wrote ${check.lines} lines / ${check.bytes} B, expected ${messages} / ${r.bytes}`,
      );
    return r;
  } finally {
    await node.stop();
    rmSync(out, { recursive: true, force: true });
  }
}

async function rsyslogRun(base: string, run: number, messages: number, connections: number): Promise<Timed> {
  const dir = join(base, `rsyslog-${run}`);
  // %rawmsg%: the line as received (without its LF), the same bytes Sluice's raw format writes.
  const peer = await startRsyslog({ dir, template: '%rawmsg%\\n' });
  try {
    const counter = new LineCounter(dir, (n) => n === 'out.log');
    const r = await timedLoad(peer.port, messages, connections, counter, 'rsyslogd', peer.process.pid);
    if (counter.bytes !== r.bytes) throw new Error(`rsyslogd wrote ${counter.bytes} B, expected ${r.bytes}`);
    return r;
  } finally {
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** (c): bytes through loopback TCP from a Node child process to this one, which discards them. */
async function rawTcpRun(total: number): Promise<Timed> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const SENDER = `
    const s = require('node:net').connect({ host: '127.0.0.1', port: ${port} });
    const buf = Buffer.alloc(1 << 20, 120);
    let left = ${total};
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, buf.length);
        left -= n;
        if (!s.write(n === buf.length ? buf : buf.subarray(0, n))) { s.once('drain', pump); return; }
      }
      s.end();
    };
    s.once('connect', pump);
    s.on('error', (e) => { console.error(String(e)); process.exit(1); });
  `;
  try {
    const got = new Promise<Timed>((resolve, reject) => {
      server.once('connection', (sock: Socket) => {
        const t0 = performance.now();
        let n = 0;
        sock.on('data', (d: Buffer) => {
          n += d.length;
        });
        sock.on('error', reject);
        sock.on('end', () => {
          if (n !== total) reject(new Error(`raw TCP received ${n} of ${total} bytes`));
          else resolve({ seconds: (performance.now() - t0) / 1000, messages: 0, bytes: n });
        });
      });
    });
    const child = spawn(process.execPath, ['-e', SENDER], { stdio: ['ignore', 'ignore', 'inherit'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    try {
      return await got;
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/**
 * (b): a collectorSource with its catalog defaults (queueSize 10,000, no compression) drained as a
 * `null` sink would, here so it can count; the sender node runs in a child process. The clock runs from
 * the first batch received to the last (connecting and the first batch are left out of both sides).
 */
/** A collectorSource on loopback for the Avro hop, drained by the bench process itself. */
export function benchCollectorSource(): AvroEventSource {
  return new AvroEventSource(
    'collectorSource',
    {
      port: 0,
      bind: '127.0.0.1',
      queueSize: 10_000,
      compression: 'none',
      compressionLevel: 6,
      ssl: false,
      keyFile: undefined,
      certFile: undefined,
      caFile: undefined,
      trustAllCerts: false,
      token: undefined,
      maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
    },
    memoryLogger(),
  );
}

/** The sender's sink on the Avro hop, given the collector's port (the reliability suite varies it). */
export type HopSink = (port: number) => string;

export async function avroRun(
  events: number,
  size: number,
  sink: HopSink = (port) => `agentBESink("127.0.0.1", ${port})`,
  confDir?: string,
): Promise<Timed> {
  const src = benchCollectorSource();
  await src.open();
  const node = startSluice(`s : asciisynth(${events}, ${size}) | ${sink(src.port)} ;`, confDir);
  try {
    let n = 0;
    let first = 0;
    let t0 = 0;
    let cpu0: number | undefined;
    let own0: NodeJS.CpuUsage | undefined;
    const killer = setTimeout(() => void src.close(), 300_000);
    while (n < events) {
      const r = src.next();
      const b = r instanceof Promise ? await r : r;
      if (b === null) break;
      // Accepted as a null sink accepts: the sender is answered OK now (docs/acks.md).
      takeAck(b)?.ok();
      if (n === 0) {
        t0 = performance.now();
        first = b.length;
        cpu0 = cpuSeconds(node.child.pid);
        own0 = process.cpuUsage();
      }
      n += b.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpuSeconds(node.child.pid);
    const own = process.cpuUsage(own0);
    clearTimeout(killer);
    if (n !== events) throw new Error(`collectorSource received ${n} of ${events} events: ${node.stderr()}`);
    const code = await node.exited;
    if (code !== 0) throw new Error(`sender node ended with ${code}: ${node.stderr()}`);
    return {
      seconds,
      messages: events - first,
      bytes: (events - first) * size,
      ...(cpu0 !== undefined && cpu1 !== undefined ? { cpu: cpu1 - cpu0 } : {}),
      receiverCpu: (own.user + own.system) / 1e6,
    };
  } finally {
    await node.stop();
    await src.close();
  }
}

/** CPU per message of the best run, in microseconds, for the notes ('' when unknown). */
function cpuNote(what: string, cpu: number | undefined, messages: number): string {
  return cpu === undefined ? '' : `; ${what} ${((cpu / messages) * 1e6).toFixed(2)} us CPU/msg`;
}

export async function bestOfRuns(runs: number, f: (run: number) => Promise<Timed>): Promise<Timed> {
  const all: Timed[] = [];
  for (let i = 0; i < runs; i++) all.push(await f(i));
  return best(all);
}

export async function benchNet(opts: NetBenchOptions = {}): Promise<Row[]> {
  const parts = new Set(opts.parts ?? ['syslog', 'avro', 'tcp']);
  const runs = opts.runs ?? RUNS;
  const rows: Row[] = [];
  const mibRows: Row[] = [];
  const base = mkdtempSync(join(tmpdir(), 'sluice-bench-net-'));
  const suite = 'net';
  try {
    if (parts.has('syslog')) {
      const messages = opts.syslogMessages ?? 1_000_000;
      const conns = opts.syslogConnections ?? 4;
      const peer = rsyslogdPath() !== undefined;
      // Sluice and rsyslogd take turns, so a spell of load from elsewhere hits both alike.
      const sRuns: Timed[] = [];
      const rRuns: Timed[] = [];
      for (let i = 0; i < runs; i++) {
        sRuns.push(await sluiceSyslogRun(base, i, messages, conns));
        if (peer) rRuns.push(await rsyslogRun(base, i, messages, conns));
      }
      const s = best(sRuns);
      const sRate = s.messages / s.seconds;
      const row: Row = {
        suite,
        name: `syslogTcp -> collectorSink (raw), ${conns} conns`,
        value: sRate,
        unit: 'msg/s',
        note: `${messages.toLocaleString('en-US')} msgs of ${Math.round(s.bytes / messages)} B; node in a child process; best of ${runs}${cpuNote('node', s.cpu, messages)}; target >= 1.0x rsyslogd`,
      };
      rows.push(row);
      mibRows.push({
        suite,
        name: 'syslogTcp -> collectorSink (raw), wire bytes',
        value: s.bytes / s.seconds / MiB,
        unit: 'MiB/s',
      });
      if (!peer) row.note += '; rsyslogd not installed: no peer figure';
      else {
        const r = best(rRuns);
        const rRate = r.messages / r.seconds;
        row.ratio = { against: 'rsyslogd', value: sRate / rRate };
        rows.push({
          suite,
          name: `peer: rsyslogd imtcp -> omfile (%rawmsg%), ${conns} conns`,
          value: rRate,
          unit: 'msg/s',
          note: `same messages and connections, runs alternating with Sluice's; best of ${runs}${cpuNote('rsyslogd', r.cpu, messages)}`,
        });
        mibRows.push({
          suite,
          name: 'peer: rsyslogd, wire bytes',
          value: r.bytes / r.seconds / MiB,
          unit: 'MiB/s',
        });
      }
    }
    if (parts.has('avro')) {
      for (const [size, events, label] of [
        [100, opts.avroEvents100 ?? 3_000_000, '100 B'],
        [1024, opts.avroEvents1k ?? 1_000_000, '1 KiB'],
      ] as const) {
        const a = await bestOfRuns(runs, () => avroRun(events, size));
        rows.push({
          suite,
          name: `asciisynth -> agentBESink -> collectorSource -> null (${label})`,
          value: a.messages / a.seconds,
          unit: 'events/s',
          note: `${events.toLocaleString('en-US')} events, sender node in a child process; best of ${runs}${cpuNote('sender', a.cpu, a.messages)}${cpuNote('receiver', a.receiverCpu, a.messages)}${size === 100 ? '; target 500,000' : ''}`,
        });
        mibRows.push({
          suite,
          name: `Avro hop, body bytes (${label})`,
          value: a.bytes / a.seconds / MiB,
          unit: 'MiB/s',
        });
      }
    }
    if (parts.has('tcp')) {
      const total = opts.tcpBytes ?? 4 * 2 ** 30;
      const t = await bestOfRuns(runs, () => rawTcpRun(total));
      const limit = t.bytes / t.seconds / MiB;
      for (const m of mibRows) m.ratio = { against: 'raw loopback TCP (limit)', value: m.value / limit };
      mibRows.push({
        suite,
        name: 'limit: raw loopback TCP, Node to Node',
        value: limit,
        unit: 'MiB/s',
        note: `${(total / 2 ** 30).toFixed(0)} GiB in 1 MiB writes, receiver discards; best of ${runs}`,
      });
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return [...rows, ...mibRows];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const parts = process.argv.slice(2) as ('syslog' | 'avro' | 'tcp')[];
  const runs = Number(process.env.SLUICE_BENCH_RUNS ?? RUNS);
  const rows = await benchNet({ ...(parts.length > 0 ? { parts } : {}), runs });
  for (const r of rows)
    console.log(
      `${r.name.padEnd(60)} ${Math.round(r.value).toLocaleString('en-US').padStart(12)} ${r.unit}${r.ratio ? `  ${r.ratio.value.toFixed(2)}x ${r.ratio.against}` : ''}`,
    );
}
