// Pieces of the reliability tests: sluice nodes as separate processes with their own site
// configuration, the numbered-event sender, and the one line every test prints (sent, received,
// lost, duplicated).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { builtinCatalog } from '../../src/flow/builtins.js';
import { compileSpec } from '../../src/flow/compile.js';
import { translateSpec } from '../../src/reliability/translate.js';
import { parseSpec } from '../../src/spec/parser.js';
import { printNode, printSink } from '../../src/spec/printer.js';
import { testContext } from '../mocks/sinks.js';
import { AvroReceiver } from './avro-receiver.js';
import { exited, listeningPort } from './processes.js';
import { writeSiteConf } from './site-conf.js';
import { tempDir } from './tmp.js';
import { waitFor } from './wait.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'sluice.js');
const SENDER = join(ROOT, 'test', 'fixtures', 'avro-sender.ts');

/** A process whose stdout and stderr are kept as text. */
export interface Proc {
  child: ChildProcess;
  text(): string;
  /** Resolves with the exit code (null after a signal). */
  exit: Promise<number | null>;
}

function track(child: ChildProcess): Proc {
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exit = exited(child);
  return { child, text: () => text, exit };
}

/**
 * `sluice node -1 -e SPEC --conf CONF`, optionally inside a network namespace (`ip netns exec`, which
 * execs, so the pid is the node's own and a signal reaches it).
 */
export function node(spec: string, conf: string, netns?: string): Proc {
  const args = [BIN, 'node', '-1', '-e', spec, '--conf', conf];
  const env = { ...process.env, SLUICE_FROM_SOURCE: '1' };
  const child = netns
    ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...args], { cwd: ROOT, env })
    : spawn(process.execPath, args, { cwd: ROOT, env });
  return track(child);
}

/** The Avro sender fixture: events `e0`..`e<total-1>` in batches of 100, resent until answered OK. */
export function sender(port: number, total: number, rate: number, netns?: string): Proc & { sent(): number } {
  const args = ['--import', 'tsx', SENDER, String(port), String(total), '100', String(rate)];
  const child = netns
    ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...args], { cwd: ROOT })
    : spawn(process.execPath, args, { cwd: ROOT });
  const p = track(child);
  return {
    ...p,
    sent: () => {
      const m = [...p.text().matchAll(/"(?:sent|done)":(\d+)/g)];
      return m.length > 0 ? Number(m[m.length - 1]![1]) : 0;
    },
  };
}

/** Ends a process with `signal` and waits for it. */
export async function kill(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exit;
}

export interface Tally {
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
}

/** Counts what `receivers` got of `e0`..`e<sent-1>`, prints the line every reliability test prints. */
export function tally(what: string, sent: number, ...receivers: AvroReceiver[]): Tally {
  const seen = new Map<string, number>();
  for (const r of receivers) for (const [b, n] of r.counts) seen.set(b, (seen.get(b) ?? 0) + n);
  let received = 0;
  let duplicated = 0;
  for (let i = 0; i < sent; i++) {
    const n = seen.get(`e${i}`) ?? 0;
    if (n > 0) received++;
    if (n > 1) duplicated += n - 1;
  }
  const t = { sent, received, lost: sent - received, duplicated };
  process.stdout.write(
    `# ${what}: sent ${t.sent}, received ${t.received}, lost ${t.lost}, duplicated ${t.duplicated}\n`,
  );
  return t;
}

/** Indices of the events of `e0`..`e<sent-1>` no receiver got. */
export function missing(sent: number, ...receivers: AvroReceiver[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < sent; i++) if (!receivers.some((r) => r.counts.has(`e${i}`))) out.push(i);
  return out;
}

/** Waits until the receivers together hold every event of `e0`..`e<total-1>`. */
export function allReceived(total: number, timeoutMs: number, ...receivers: AvroReceiver[]): Promise<void> {
  return waitFor(
    () => missing(total, ...receivers).length === 0,
    () => `all ${total} events (missing ${missing(total, ...receivers).length})`,
    timeoutMs,
    100,
  );
}

/**
 * Checks a guide example as `sluice validate` does (parse, every name and argument, build without
 * opening) and returns its nodes as they run, translations applied.
 */
export function validateExample(text: string): string[] {
  const ctx = testContext();
  const spec = parseSpec(text, 'guide');
  const nodes = compileSpec(spec, { catalog: builtinCatalog(), context: ctx, file: 'guide' });
  for (const n of nodes) {
    n.makeSource();
    n.makeSink();
  }
  return translateSpec(spec, ctx.config).nodes.map((n) => printNode(n));
}

/** The printed translation of one sink call (including those shown only), for comparing with the guide. */
export function translationText(sink: string): string {
  const spec = parseSpec(`n : null | ${sink} ;`);
  return printSink(translateSpec(spec, testContext().config, { all: true }).nodes[0]!.sink);
}

/**
 * One reliability test's world: a temporary directory with a site configuration, a receiver at the
 * end of the flow, and every process started through it, all killed (SIGKILL) when the test ends.
 */
export class Rig {
  readonly procs: Proc[] = [];
  readonly receiver = new AvroReceiver();
  rport = 0;

  private constructor(
    readonly dir: string,
    readonly conf: string,
  ) {}

  /** `props` gets the test's directory (for `flume.agent.logdir`). */
  static async create(
    t: { after(fn: () => unknown): void },
    prefix: string,
    props: (dir: string) => Record<string, string | number>,
  ): Promise<Rig> {
    const dir = tempDir(prefix, t);
    const settings = Object.entries(props(dir)).map(([k, v]) => [k, String(v)]);
    const rig = new Rig(dir, writeSiteConf(dir, Object.fromEntries(settings)));
    rig.rport = await rig.receiver.listen();
    t.after(async () => {
      for (const p of rig.procs) await kill(p, 'SIGKILL');
      await rig.receiver.close();
    });
    return rig;
  }

  node(spec: string, netns?: string): Proc {
    const p = node(spec, this.conf, netns);
    this.procs.push(p);
    return p;
  }

  sender(port: number, total: number, rate: number, netns?: string): ReturnType<typeof sender> {
    const p = sender(port, total, rate, netns);
    this.procs.push(p);
    return p;
  }

  /**
   * A collector on `port` forwarding to the receiver, listening when this resolves. Port 0 (a first
   * start) lets the kernel pick (see listeningPort); a restart passes the port it had.
   */
  async collector(port: number, bind = '127.0.0.1', rport = this.rport): Promise<Proc & { port: number }> {
    const c = this.node(`c : collectorSource(${port}, bind="${bind}") | rpcSink("127.0.0.1", ${rport}) ;`);
    return { ...c, port: await listeningPort(c.child, c.text, 'c/collectorSource', port) };
  }

  /** An agent reading an avro source on 127.0.0.1:`port` (0: any) into `sink`, listening when this resolves. */
  async agent(port: number, sink: string, netns?: string): Promise<Proc & { port: number }> {
    const a = this.node(`agent : avroSource(${port}, bind="127.0.0.1") | ${sink} ;`, netns);
    return { ...a, port: await listeningPort(a.child, a.text, 'agent/avroSource', port) };
  }
}
