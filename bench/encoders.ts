// Encoder micro-benchmark: the per-event cost of the binary encoders on the Avro and file paths, with
// events carrying 3 attributes (where a per-event attribute array would show) or none.
//   [SLUICE_BENCH_ATTRS=0] node --import tsx bench/encoders.ts [checkout ...]
// Each checkout (default: this one) is measured in its own child process, alternating checkouts for
// several rounds so that a busy machine slows them alike; a checkout's own src/ is imported, so an older
// commit (`git archive` of it into a directory) is compared with this one in the same window.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const EVENTS = Number(process.env.SLUICE_BENCH_EVENTS ?? 200_000);
const BATCH = 100;
/** Attributes per event (SLUICE_BENCH_ATTRS, 0 to 3): with none, only the byte writers differ. */
const ATTR_COUNT = Number(process.env.SLUICE_BENCH_ATTRS ?? 3);
const ATTRS = [
  ['service', 'nginx'],
  ['dc', 'eu1'],
  ['path', '/var/log/nginx/access.log'],
] as const;
/** Batches of the heap measurement: 10,000 events, far below what fills the young generation. */
const HEAP_BATCHES = 100;
const ROUNDS = Number(process.env.SLUICE_BENCH_RUNS ?? 5);

interface Figures {
  [encoder: string]: { rate: number; heapBytesPerEvent: number };
}

async function measure(root: string): Promise<Figures> {
  const src = (p: string) => import(pathToFileURL(resolve(root, 'src', p)).href);
  const { Event } = await src('core/event.ts');
  const { encodeEvents } = await src('core/eventcodec.ts');
  const { avrodataFormat } = await src('formats/avrodata.ts');
  const { SeqfileWriter } = await src('formats/seqfile.ts');
  const { FlumeEventEncoder } = await src('rpc/avro/flume-event.ts');
  // The Avro writer moved from rpc/avro/wire.ts to core/byte-writer.ts when it was folded.
  const Writer =
    (await src('core/byte-writer.ts').catch(() => undefined))?.ByteWriter ??
    (await src('rpc/avro/wire.ts')).Writer;

  const batches: unknown[][] = [];
  for (let b = 0; b < EVENTS / BATCH; b++) {
    const batch: unknown[] = [];
    for (let i = 0; i < BATCH; i++) {
      const e = new Event(Buffer.alloc(100, 97), 1_764_000_000_000 + b, 3, 123456789 + i, 'web1.example.com');
      for (const [k, v] of ATTRS.slice(0, ATTR_COUNT)) e.setAttr(k, v);
      batch.push(e);
    }
    batches.push(batch);
  }
  const avrodata = avrodataFormat.create();
  const seqfile = new SeqfileWriter({ sync: Buffer.alloc(16, 1) });
  seqfile.header();
  const flume = new FlumeEventEncoder();
  const w = new Writer(64 * 1024);
  const encoders: Record<string, (batch: unknown[]) => void> = {
    'avrodata (Avro container file)': (batch) => avrodata.encode(batch),
    'seqfile (SequenceFile)': (batch) => seqfile.encode(batch),
    'Flume appendBatch parameters': (batch) => {
      w.reset();
      flume.writeBatch(w, batch);
    },
    'eventcodec (file channel, WAL)': (batch) => encodeEvents(batch),
  };
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if ((entry as { detail?: { kind?: number } }).detail?.kind === 1) gcs++;
  });
  obs.observe({ entryTypes: ['gc'] });
  const out: Figures = {};
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (const [name, encode] of Object.entries(encoders)) {
    for (const batch of batches) encode(batch); // warm-up
    let best = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      for (const batch of batches) encode(batch);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      best = Math.max(best, EVENTS / s);
    }
    // Heap bytes per event: the growth over a stretch short enough that no young-generation GC runs in
    // it (checked; a stretch with one is measured again).
    let perEvent = Number.NaN;
    const stretch = batches.slice(0, HEAP_BATCHES);
    for (let attempt = 0; attempt < 5 && Number.isNaN(perEvent); attempt++) {
      gc();
      await new Promise((done) => setImmediate(done));
      gcs = 0;
      const h0 = process.memoryUsage().heapUsed;
      for (const batch of stretch) encode(batch);
      const h1 = process.memoryUsage().heapUsed;
      await new Promise((done) => setImmediate(done));
      if (gcs === 0) perEvent = (h1 - h0) / (HEAP_BATCHES * BATCH);
    }
    out[name] = { rate: best, heapBytesPerEvent: perEvent };
  }
  obs.disconnect();
  return out;
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await measure(process.argv[3]!)));
} else {
  const roots = process.argv.length > 2 ? process.argv.slice(2) : ['.'];
  const best = new Map<string, Figures>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const root of roots) {
      const out = execFileSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', import.meta.filename, '--child', root],
        {
          encoding: 'utf8',
        },
      );
      const figures = JSON.parse(out) as Figures;
      const prev = best.get(root);
      for (const [k, v] of Object.entries(figures))
        if (!prev?.[k] || v.rate > prev[k]!.rate) (prev ?? figures)[k] = v;
      if (!prev) best.set(root, figures);
    }
  }
  for (const [root, figures] of best) {
    console.log(
      `== ${root}: events/s (best of ${ROUNDS} processes x 3 runs), and JS heap bytes allocated per event`,
    );
    for (const [k, v] of Object.entries(figures))
      console.log(
        `  ${k.padEnd(34)} ${Math.round(v.rate).toLocaleString('en-US').padStart(12)}   ${v.heapBytesPerEvent.toFixed(1)}`,
      );
  }
}
