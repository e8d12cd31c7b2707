// `npm run demo:streaming`: the tutorial's pipeline live, on embedded defaults, nothing to configure.
// One process runs the three parts the tutorial runs separately:
//   1. a generator writing realistic Apache access log files into a spooling directory,
//   2. the tutorial's Flume agent file (examples/sparkstreamingflume.conf: spooldir -> timestamp
//      interceptor -> memory channel -> avro sink),
//   3. the log aggregator (examples/log-aggregator.ts), listening where the avro sink sends, printing the
//      top 10 URLs of the window every second.
// It stops by itself (after --seconds, default 15 when the output is not a terminal, 120 when it is, or
// at Ctrl-C), lets the last events through, and checks the window's counts against what was generated.
//
//   npm run demo:streaming -- [--seconds N] [--rate LINES_PER_S] [--window S] [--slide S]
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnv } from '../src/cli/env.js';
import { configureLogging } from '../src/core/logger.js';
import { freePort } from '../src/core/ports.js';
import { builtinAgentCatalog } from '../src/flow/agent/catalog.js';
import { AgentHost } from '../src/index.js';
import { AccessLogGenerator } from './access-log-generator.js';
import { startLogAggregator } from './log-aggregator.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rate: { type: 'string', default: '400' },
    window: { type: 'string', default: '300' },
    slide: { type: 'string', default: '1' },
  },
});
const live = process.stdout.isTTY === true;
const seconds = Number(values.seconds ?? (live ? 120 : 15));
const rate = Number(values.rate);
const say = (s: string) => process.stdout.write(`${s}\n`);

// The parts log their start and stop; the demo's own lines say what matters.
configureLogging({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'sluice-streaming-demo-'));
const spool = join(dir, 'spool');
mkdirSync(spool);
const port = await freePort();

const gen = new AccessLogGenerator(Date.now());
let latest: { total: number; top: [string, number][] } = { total: 0, top: [] };
const ssc = await startLogAggregator({
  push: `127.0.0.1:${port}`,
  windowSeconds: Number(values.window),
  slideSeconds: Number(values.slide),
  write: (text) => {
    // On a terminal each slide replaces the last one, so the top 10 reads as a live board.
    process.stdout.write(live ? `\x1b[2J\x1b[H${header()}\n${text}` : text);
  },
  onCounts: (_time, counts) => {
    let total = 0;
    for (const [, n] of counts) total += n;
    latest = { total, top: counts.slice(0, 3) };
  },
});

const agentFile = join(import.meta.dirname, 'sparkstreamingflume.conf');
const text = readFileSync(agentFile, 'utf8')
  .replace('/tmp/sluice-spool', spool)
  .replace('a1.sinks.k1.port = 9092', `a1.sinks.k1.port = ${port}`)
  .replace('a1.sources.r1.spoolDir', 'a1.sources.r1.pollDelay = 100\na1.sources.r1.spoolDir');
const env = await loadEnv({ nodeName: 'demo' });
const agent = new AgentHost('a1', builtinAgentCatalog(), env.context);
await agent.start({ text, file: agentFile });

function header(): string {
  return `sluice streaming demo: ${gen.lines} access log lines generated into ${spool}, agent a1 -> avro 127.0.0.1:${port} -> log aggregator (${seconds} s, Ctrl-C stops)`;
}
say(header());
say(
  `${text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .join('\n')}\n`,
);

// A new spool file every 250 ms: the agent picks up whole files, as a log shipper's rotation makes them.
let files = 0;
const perFile = Math.max(1, Math.round(rate / 4));
const generating = setInterval(() => gen.writeSpoolFile(spool, perFile, `access-${files++}.log`), 250);
let stopRequested = false;
const stopNow = () => {
  stopRequested = true;
};
process.once('SIGINT', stopNow);
process.once('SIGTERM', stopNow);
const started = Date.now();
const deadline = started + seconds * 1000;
while (!stopRequested && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
clearInterval(generating);

// Let the last files through the agent and into a slide (bounded: 15 s).
const drainBy = Date.now() + 15_000;
while (latest.total !== gen.lines && Date.now() < drainBy) await new Promise((r) => setTimeout(r, 100));
await ssc.stop({ graceful: true });
await agent.stop();
rmSync(dir, { recursive: true, force: true });

// The window's counts equal what was generated when the whole run fits in the window.
const compared = Number(values.window) >= (Date.now() - started) / 1000;
const ok = !compared || latest.total === gen.lines;
say('');
say(
  `${ok ? 'ok  ' : 'FAIL'} ${gen.lines} lines generated in ${files} files; the aggregator's window counted ${latest.total} requests${compared ? '' : ' (the run outlasted the window: not compared)'}`,
);
say(`     most requested: ${latest.top.map(([u, n]) => `${u} (${n})`).join(', ')}`);
process.exit(ok ? 0 : 1);
