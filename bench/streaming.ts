// The `streaming` suite: the tutorial's log aggregator (the Apache access log regex, (url, 1), a 300 s
// window sliding every second with the inverse reduce) on 100-byte lines, in records per second per
// core (CPU time of this single-threaded process), and the scheduling delay of 1 s batches fed at
// 100,000 events/s by a receiver, beside the Spark Streaming paper's figures (Zaharia et al., SOSP 2013:
// 640,000 records/s for Grep and 250,000 for TopKCount per 4-core node, 100-byte records).
import { loadavg } from 'node:os';
import { memoryLogger } from '../src/core/logger.js';
import { StreamingContext } from '../src/streaming/context.js';
import type { DStream } from '../src/streaming/dstream.js';
import type { Receiver, ReceiverSink } from '../src/streaming/receiver.js';
import type { Row } from './harness.js';

const SUITE = 'streaming';
const PAPER_GREP_PER_CORE = 640_000 / 4;
const PAPER_TOPK_PER_CORE = 250_000 / 4;

// The tutorial's parts (host, ident, user, [time], "request", status, size, "referer", "agent"), with
// classes that cannot run past their field instead of `.+`, so a line is matched without backtracking,
// and only the request captured (one string per line instead of a groups object).
const ACCESS_LOG = /^\S+ \S+ \S+ \[[^\]]+\] "([^"]*)" [0-9]+ \S+ "[^"]*" "[^"]*"\s*$/;

/** The URL of an access log line's request, undefined for lines that do not parse (as extractURLRequest). */
function extractUrl(line: string): string | undefined {
  const request = ACCESS_LOG.exec(line)?.[1];
  if (!request) return undefined;
  const first = request.indexOf(' ');
  if (first < 0) return undefined;
  const second = request.indexOf(' ', first + 1);
  return request.slice(first + 1, second < 0 ? undefined : second);
}

const URLS = Array.from(
  { length: 200 },
  (_, i) => `/${['products', 'cart', 'search', 'api/v1/items'][i % 4]}/${i}`,
);

/** Realistic access log lines of 100 bytes (padded in the agent field). */
function lines(n: number, seed = 1): string[] {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s;
  };
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    // Zipf-like: a few URLs get most requests.
    const url = URLS[Math.floor((r % 1000) ** 2 / 5000) % URLS.length]!;
    const base = `10.0.${r & 255}.${(r >> 8) & 255} - - [30/Nov/2026:10:${String(r % 60).padStart(2, '0')}:00 +0000] "GET ${url} HTTP/1.1" 200 ${r % 9000} "-" "`;
    out[i] = `${base}${'m'.repeat(Math.max(1, 99 - base.length))}"`;
  }
  return out;
}

function aggregator(input: DStream<string>): DStream<[string, number]> {
  return input
    .map(extractUrl)
    .filter((u): u is string => u !== undefined)
    .map((u): [string, number] => [u, 1])
    .reduceByKeyAndWindow(
      (a, b) => a + b,
      (a, b) => a - b,
      300_000,
      1000,
    );
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Records per CPU second through the aggregator on the manual clock: 400 one-second batches. */
async function throughput(batchSize: number, batches: number): Promise<{ rate: number; urls: number }> {
  const pool = lines(batchSize * 4);
  const queue = Array.from({ length: batches }, (_, i) =>
    pool.slice((i % 4) * batchSize, ((i % 4) + 1) * batchSize),
  );
  const ssc = new StreamingContext({ batchIntervalMs: 1000, clock: 'manual', logger: memoryLogger() });
  let urls = 0;
  aggregator(ssc.queueStream(queue)).foreachRDD((r) => {
    // The tutorial sorts by count for its top 10.
    urls = [...r].sort((a, b) => b[1] - a[1]).slice(0, 10).length;
  });
  await ssc.start();
  // Warm-up (JIT), then the measured batches.
  await ssc.advance(20_000);
  const c0 = cpuMs();
  await ssc.advance((batches - 20) * 1000);
  const cpu = cpuMs() - c0;
  await ssc.stop();
  return { rate: ((batches - 20) * batchSize) / (cpu / 1000), urls };
}

/** A receiver storing `rate` lines per second in blocks of `block`, every block/rate seconds. */
class PacedReceiver implements Receiver<string> {
  readonly name = 'paced';
  private timer: NodeJS.Timeout | undefined;
  private readonly pool = lines(10_000, 7);

  constructor(
    private readonly rate: number,
    private readonly block: number,
  ) {}

  async start(sink: ReceiverSink<string>): Promise<void> {
    const every = (this.block / this.rate) * 1000;
    const t0 = Date.now();
    let sent = 0;
    const tick = () => {
      const due = Math.floor(((Date.now() - t0) / 1000) * this.rate);
      while (sent + this.block <= due) {
        const at = sent % (this.pool.length - this.block);
        void sink.store({ records: this.pool.slice(at, at + this.block), bytes: this.block * 100 });
        sent += this.block;
      }
      this.timer = setTimeout(tick, every);
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
  }
}

/**
 * The scheduling delay of 1 s batches over `seconds`: the aggregator fed at `rate` events/s, or (rate 0)
 * an idle context, whose delay is only the timer's lateness on this machine (the floor).
 */
async function schedulingDelay(rate: number, seconds: number) {
  const ssc = new StreamingContext({ batchIntervalMs: 1000, logger: memoryLogger() });
  const input = rate > 0 ? ssc.receiverStream(new PacedReceiver(rate, 1000)) : ssc.queueStream<string>([]);
  aggregator(input).foreachRDD((r) => {
    [...r].sort((a, b) => b[1] - a[1]).slice(0, 10);
  });
  const delays: number[] = [];
  const processing: number[] = [];
  let records = 0;
  ssc.onBatchCompleted((i) => {
    delays.push(i.schedulingDelayMs);
    processing.push(i.processingTimeMs);
    records += i.records;
  });
  await ssc.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await ssc.stop();
  // The first batch is partial (the receiver starts mid-interval).
  const d = delays.slice(1);
  const p = processing.slice(1);
  return {
    maxDelay: Math.max(...d),
    meanDelay: d.reduce((a, b) => a + b, 0) / d.length,
    maxProcessing: Math.max(...p),
    records,
    batches: delays.length,
  };
}

export async function benchStreaming(): Promise<Row[]> {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await throughput(100_000, 120));
  const best = Math.max(...runs.map((r) => r.rate));
  const delay = await schedulingDelay(100_000, 12);
  const idle = await schedulingDelay(0, 6);
  const load = loadavg()[0]!;
  return [
    {
      suite: SUITE,
      name: 'aggregator: regex + map + reduceByKeyAndWindow(300 s, 1 s, inverse), 100-byte lines',
      value: Math.round(best),
      unit: 'records/s per core',
      ratio: { against: 'Spark paper Grep per core (160,000)', value: best / PAPER_GREP_PER_CORE },
      note: `target >= 1,000,000; CPU time of one process, 100,000-line batches, best of 3; ${(best / PAPER_TOPK_PER_CORE).toFixed(1)}x TopKCount per core (62,500)`,
    },
    {
      suite: SUITE,
      name: 'scheduling delay at 100,000 events/s, 1 s batches (max)',
      value: Math.round(delay.maxDelay * 10) / 10,
      unit: 'ms',
      note: `target < 100 ms; mean ${delay.meanDelay.toFixed(1)} ms, max processing ${delay.maxProcessing.toFixed(0)} ms per batch, ${delay.batches} batches, ${delay.records} records, same aggregator; load average ${load.toFixed(1)}`,
    },
    {
      suite: SUITE,
      name: 'scheduling delay of an idle context, 1 s batches (max)',
      value: Math.round(idle.maxDelay * 10) / 10,
      unit: 'ms',
      note: `the timer's lateness on this machine at the time (the floor of the figure above); mean ${idle.meanDelay.toFixed(1)} ms`,
    },
    {
      suite: SUITE,
      name: 'Spark Streaming paper: Grep, per 4-core node',
      value: 640_000,
      unit: 'records/s',
      note: 'Zaharia et al., Discretized Streams (SOSP 2013), 100-byte records, 1 s latency bound',
    },
    {
      suite: SUITE,
      name: 'Spark Streaming paper: TopKCount, per 4-core node',
      value: 250_000,
      unit: 'records/s',
      note: 'same paper; sliding-window top-K word counts',
    },
  ];
}
