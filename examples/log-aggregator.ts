// The log aggregator of the Spark Streaming + Flume tutorial (spark-streaming-with-flume-tutorial.md),
// on Sluice's streaming engine: Apache access log lines arrive from Flume or Sluice agents, the URL of
// each request is counted over a sliding window (with the inverse function, so each slide adds the
// newest batch and takes out the one that left instead of recounting the window), and the top 10 are
// printed every slide.
//
//   npx tsx examples/log-aggregator.ts (--push HOST:PORT | --poll HOST:PORT[,HOST:PORT...])
//       [--window 300] [--slide 1] [--checkpoint DIR [--checkpoint-interval S]] [--json FILE] [--seconds N]
//
// --push listens as an Avro source (feed it with examples/sparkstreamingflume.conf, the tutorial's agent
// file); --poll pulls from SparkSinks. --window and --slide are seconds (fractions allowed; the batch
// interval is 1 s, or the slide when that is shorter or not whole seconds). --checkpoint keeps the window
// state and a receiver write-ahead log in DIR, so a restart resumes where it stopped and loses no event an
// agent was told is safe. --json appends every slide's full counts to FILE as one line
// {"time": ms, "counts": [["/url", n], ...]}. --seconds stops after N seconds (otherwise Ctrl-C).
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type DStream,
  FlumeUtils,
  receiverWriteAheadLog,
  type SparkFlumeEvent,
  StreamingContext,
} from '../src/index.js';

/** The tutorial's pattern for the Apache combined log format, part by part. */
const PARTS = [
  /(?<host>\S+)/, // host %h
  /\S+/, // ident %l (unused)
  /(?<user>\S+)/, // user %u
  /\[(?<time>.+)\]/, // time %t
  /"(?<request>.+)"/, // request "%r"
  /(?<status>[0-9]+)/, // status %>s
  /(?<size>\S+)/, // size %b (careful, can be '-')
  /"(?<referer>.*)"/, // referer "%{Referer}i"
  /"(?<agent>.*)"/, // user agent "%{User-agent}i"
];
const ACCESS_LOG = new RegExp(`^${PARTS.map((p) => p.source).join('\\s+')}\\s*$`);

/** The URL of an access log line's request (`GET /index.html HTTP/1.1` -> `/index.html`), if any. */
export function extractUrl(line: string): string | undefined {
  const request = ACCESS_LOG.exec(line)?.groups?.request;
  if (!request) return undefined;
  const fields = request.split(/\s+/);
  return fields.length > 1 ? fields[1] : undefined;
}

export interface AggregatorOptions {
  push?: string | undefined;
  poll?: string | undefined;
  windowSeconds: number;
  slideSeconds: number;
  checkpoint?: string | undefined;
  /** Seconds between checkpoints (the engine's default: the first multiple of the batch over 10 s). */
  checkpointIntervalSeconds?: number | undefined;
  json?: string | undefined;
  /** Where the top 10 goes (stdout by default). */
  write?: (text: string) => void;
  /** Called every slide with the window's counts, most requested first (for embedding, as the demo does). */
  onCounts?: (time: number, counts: readonly [string, number][]) => void;
}

const ms = (seconds: number) => Math.round(seconds * 1000);

/** The batch interval: Spark's tutorial uses 1 s; a slide under 1 s or of fractional seconds is its own. */
function batchIntervalOf(slideMs: number): number {
  return slideMs % 1000 === 0 ? 1000 : slideMs;
}

function splitHostPort(text: string): [string, number] {
  const i = text.lastIndexOf(':');
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--push wants HOST:PORT, got "${text}"`);
  return [text.slice(0, i), port];
}

/** Builds the aggregator's graph on a new context (the factory getOrCreate reruns at a restart). */
export function buildLogAggregator(opts: AggregatorOptions): StreamingContext {
  const windowMs = ms(opts.windowSeconds);
  const slideMs = ms(opts.slideSeconds);
  const ssc = new StreamingContext({
    batchIntervalMs: batchIntervalOf(slideMs),
    name: 'log-aggregator',
    // With a checkpoint directory every receiver also logs what it receives before acking it.
    ...(opts.checkpoint !== undefined ? { receiverLog: receiverWriteAheadLog() } : {}),
  });
  if (opts.checkpoint !== undefined) {
    const every = opts.checkpointIntervalSeconds;
    ssc.checkpoint(opts.checkpoint, every !== undefined ? { intervalMs: ms(every) } : {});
  }
  let events: DStream<SparkFlumeEvent>;
  if (opts.push !== undefined) {
    const [host, port] = splitHostPort(opts.push);
    events = FlumeUtils.createStream(ssc, host, port);
  } else if (opts.poll !== undefined) {
    events = FlumeUtils.createPollingStream(ssc, opts.poll);
  } else {
    throw new Error('give --push HOST:PORT or --poll HOST:PORT[,HOST:PORT...]');
  }
  // One pass per batch rather than a map and a flatMap: no intermediate array of lines.
  const urls = events.mapPartitions((records: readonly SparkFlumeEvent[]) => {
    const out: [string, number][] = [];
    for (let i = 0; i < records.length; i++) {
      const url = extractUrl(records[i]!.text);
      if (url !== undefined) out.push([url, 1]);
    }
    return out;
  });
  const urlCounts = urls.reduceByKeyAndWindow(
    (a: number, b: number) => a + b,
    (a: number, b: number) => a - b,
    windowMs,
    slideMs,
    // A URL whose requests all left the window is dropped from the state, not kept at 0.
    ([, n]) => n > 0,
  );
  const sorted = urlCounts.transform((counts) =>
    [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
  const write = opts.write ?? ((t: string) => process.stdout.write(t));
  sorted.foreachRDD((counts, time) => {
    const lines = [`-------- ${new Date(time).toISOString()}: top URLs of the last ${opts.windowSeconds} s`];
    for (const [url, n] of counts.slice(0, 10)) lines.push(`${String(n).padStart(8)}  ${url}`);
    if (counts.length === 0) lines.push('   (no requests in the window)');
    write(`${lines.join('\n')}\n`);
    if (opts.json !== undefined) appendFileSync(opts.json, `${JSON.stringify({ time, counts })}\n`);
    opts.onCounts?.(time, counts);
  });
  return ssc;
}

/** Starts the aggregator, resuming from `opts.checkpoint` when it holds one. */
export async function startLogAggregator(opts: AggregatorOptions): Promise<StreamingContext> {
  const ssc =
    opts.checkpoint !== undefined
      ? await StreamingContext.getOrCreate(opts.checkpoint, () => buildLogAggregator(opts))
      : buildLogAggregator(opts);
  await ssc.start();
  return ssc;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      push: { type: 'string' },
      poll: { type: 'string' },
      window: { type: 'string', default: '300' },
      slide: { type: 'string', default: '1' },
      checkpoint: { type: 'string' },
      'checkpoint-interval': { type: 'string' },
      json: { type: 'string' },
      seconds: { type: 'string' },
    },
  });
  const windowSeconds = Number(values.window);
  const slideSeconds = Number(values.slide);
  if (!(windowSeconds > 0) || !(slideSeconds > 0))
    throw new Error('--window and --slide must be positive seconds');
  if ((values.push === undefined) === (values.poll === undefined))
    throw new Error('give exactly one of --push HOST:PORT and --poll HOST:PORT[,HOST:PORT...]');
  const ssc = await startLogAggregator({
    push: values.push,
    poll: values.poll,
    windowSeconds,
    slideSeconds,
    checkpoint: values.checkpoint,
    checkpointIntervalSeconds:
      values['checkpoint-interval'] !== undefined ? Number(values['checkpoint-interval']) : undefined,
    json: values.json,
  });
  const stop = () => void ssc.stop({ graceful: true });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (values.seconds !== undefined) setTimeout(stop, ms(Number(values.seconds))).unref();
  await ssc.awaitTermination();
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`log-aggregator: ${e.message}\n`);
      process.exit(1);
    },
  );
}
