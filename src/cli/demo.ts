import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../core/ports.js';
import type { NodeManager } from '../flow/node-manager.js';
import { AgentHost } from '../node/agent-host.js';
import { SpecHost } from '../node/spec-host.js';
import { optString } from './args.js';
import type { Command } from './command.js';
import { type Env, loadEnv } from './env.js';

/**
 * `sluice demo`: the data plane end to end on embedded defaults, nothing to install or configure, each
 * step checked. (1) a local flow batches, compresses, decompresses and unbatches a web-server log into
 * a byte-identical copy; (2) an agent node sends the log over Avro RPC on loopback to a collector node
 * that buckets it by time and host; (3) a Flume NG agent file (spooldir -> timestamp interceptor ->
 * memory channel -> file_roll) ingests the log dropped into a spool directory.
 */
export const demoCommand: Command = {
  name: 'demo',
  synopsis: '[--lines N] [--keep]',
  description: [
    'Writes a web-server log to a temporary directory and runs three flows on it on embedded defaults',
    '(a local flow, an agent node sending to a collector over Avro RPC on loopback, a Flume NG agent',
    'file), checking each; prints ok or FAIL per step and ends with status 1 if any failed.',
  ].join('\n'),
  options: [
    { name: 'lines', value: 'N', positiveInt: true, default: '5000', help: 'lines in the generated log' },
    { name: 'keep', flag: true, help: 'keep the demo directory' },
  ],
  positionals: { min: 0, max: 0 },
  async run(p) {
    const lines = Number(optString(p, 'lines') ?? 5000);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-'));
    const input = join(dir, 'access.log');
    writeFileSync(input, webLog(lines));
    const env = await loadEnv({});
    const say = (s: string) => process.stdout.write(`${s}\n`);
    say(`sluice demo in ${dir} with a ${lines}-line web-server log\n`);
    const demo: Demo = { env, dir, input, lines, say };
    const results = [await localFlow(demo), await agentToCollector(demo), await agentFile(demo)];
    say('');
    for (const r of results) say(`${r.ok ? 'ok  ' : 'FAIL'} ${r.what}`);
    if (!p.options.has('keep')) rmSync(dir, { recursive: true, force: true });
    return results.every((r) => r.ok) ? 0 : 1;
  },
};

interface Step {
  ok: boolean;
  what: string;
}

/** What every step works with: the environment, the demo directory and its generated log. */
interface Demo {
  env: Env;
  dir: string;
  input: string;
  lines: number;
  say: (s: string) => void;
}

/** Polls `done` every 100 ms for up to 10 s. */
async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 100));
}

/** Non-empty lines in the files below dir whose names are not hidden (finished files only). */
function countLines(dir: string): { lines: number; files: string[] } {
  const files = listFiles(dir).filter((f) => !f.split('/').pop()!.startsWith('.'));
  let lines = 0;
  for (const f of files) lines += readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length;
  return { lines, files };
}

async function runSpec(env: Env, spec: string, say: (s: string) => void): Promise<NodeManager> {
  say(`${spec}\n`);
  // Through a node host like every pipeline, so the nodes run under the site's limits.
  const host = new SpecHost({ catalog: env.catalog, context: env.context, logger: env.logger });
  await host.start({ text: spec, file: '<demo>' });
  return host.manager;
}

async function localFlow(demo: Demo): Promise<Step> {
  const { env, dir, input, lines, say } = demo;
  say(
    '1. A local flow: value, batch, gzip, gunzip, unbatch into a copy; a sample to the console; a synthetic load.',
  );
  const output = join(dir, 'copy.log');
  const spec = [
    `demo : text(${JSON.stringify(input)}) | [`,
    `  { value("pipeline", "demo") => { batch(100) => { gzip => { gunzip => { unbatch => text(${JSON.stringify(output)}) } } } } },`,
    `  { intervalSampler(${Math.max(1, Math.floor(lines / 3))}) => console }`,
    '] ;',
    'synthetic : asciisynth(1000000, 100) | null ;',
  ].join('\n');
  const started = process.hrtime.bigint();
  const manager = await runSpec(env, spec, say);
  await manager.settled();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const idle = manager.reports().every((r) => r.state === 'IDLE');
  const same = idle && readFileSync(input).equals(readFileSync(output));
  const synthetic = manager.get('synthetic');
  if (synthetic)
    say(
      `asciisynth -> null: ${Math.round(synthetic.events / seconds).toLocaleString('en-US')} events/s while the other node ran too`,
    );
  return {
    ok: same,
    what: `local flow: ${lines} lines through batch/gzip/gunzip/unbatch came out ${same ? 'byte-identical' : 'DIFFERENT'}`,
  };
}

async function agentToCollector(demo: Demo): Promise<Step> {
  const { env, dir, input, lines, say } = demo;
  say(
    "\n2. An agent node sends the log over Avro RPC (Flume NG's protocol) to a collector node on loopback.",
  );
  const port = await freePort();
  const out = join(dir, 'collected');
  const collector = await runSpec(
    env,
    `collector : collectorSource(${port}, bind="127.0.0.1") | collectorSink("file://${out}/%Y-%m-%d/%H00", "%{host}-", 1000) ;`,
    say,
  );
  // Best effort drops what it cannot send: the agent starts once the collector listens.
  await waitUntil(() => collector.get('collector')?.state === 'ACTIVE');
  const agent = await runSpec(
    env,
    `agent : text(${JSON.stringify(input)}) | agentBESink("127.0.0.1", ${port}) ;`,
    say,
  );
  await agent.settled();
  await waitUntil(() => (collector.get('collector')?.events ?? 0) >= lines);
  await collector.stopAll();
  const { lines: written, files } = countLines(out);
  say(`collector wrote ${written} events into ${files.length} file(s): ${files.slice(0, 3).join(', ')}`);
  return {
    ok: written === lines,
    what: `agent -> collector over Avro: ${written} of ${lines} events bucketed by hour and host`,
  };
}

async function agentFile(demo: Demo): Promise<Step> {
  const { env, dir, input, lines, say } = demo;
  say('\n3. A Flume NG agent file: spooldir -> timestamp interceptor -> memory channel -> file_roll.');
  const spool = join(dir, 'spool');
  const rolled = join(dir, 'rolled');
  mkdirSync(spool);
  mkdirSync(rolled);
  const text = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'spooldir-agent.conf'), 'utf8')
    .replace('/tmp/sluice-spool', spool)
    .replace('/tmp/sluice-roll', rolled)
    .replace('a1.sources.r1.spoolDir', 'a1.sources.r1.pollDelay = 50\na1.sources.r1.spoolDir');
  say(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .join('\n'),
  );
  const host = new AgentHost('a1', env.catalog, env.context);
  await host.start({ text, file: 'examples/spooldir-agent.conf' });
  const agent = host.agent!;
  copyFileSync(input, join(spool, 'access.log'));
  // spooldir renames the file once every batch of it is acked, which can come after the sink
  // delivered the last event: stopping first would leave a finished file unmarked.
  await waitUntil(
    () =>
      (agent.totals().sinks[0]?.delivered ?? 0) >= lines &&
      readdirSync(spool).includes('access.log.COMPLETED'),
  );
  await host.stop();
  const written = countLines(rolled).lines;
  const completed = readdirSync(spool).includes('access.log.COMPLETED');
  say(
    `file_roll wrote ${written} events; the spooled file is ${completed ? 'marked .COMPLETED' : 'NOT completed'}`,
  );
  return {
    ok: written === lines && completed,
    what: `agent file: ${written} of ${lines} spooled lines through a memory channel to file_roll`,
  };
}

/** Regular files below dir, as paths relative to it (none when dir does not exist). */
function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      statSync(join(dir, f)).isFile(),
    );
  } catch {
    return [];
  }
}

function webLog(n: number): string {
  const paths = ['/', '/index.html', '/api/orders', '/static/app.js', '/login'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.0.${(i >> 8) & 255}.${i & 255}`;
    const t = new Date(Date.UTC(2026, 10, 26, 10, 0, 0) + i * 37).toISOString();
    out.push(
      `${ip} - - [${t}] "GET ${paths[i % paths.length]} HTTP/1.1" ${i % 17 === 0 ? 500 : 200} ${100 + (i % 900)}`,
    );
  }
  return `${out.join('\n')}\n`;
}
