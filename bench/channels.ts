/**
 * Channel throughput: events per second through put+commit then take+commit, in transactions of
 * 1000 events of 100-byte bodies, best of three runs. `benchChannels()` is the suite the bench runner
 * (bench/run.ts) calls; running this file directly prints the rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileChannel } from '../src/channels/file.js';
import { memoryChannel } from '../src/channels/memory.js';
import type { Channel } from '../src/channels/types.js';
import { SiteConfig } from '../src/core/config.js';
import { Event } from '../src/core/event.js';
import { memoryLogger } from '../src/core/logger.js';
import { WriteAheadLog } from '../src/storage/wal/wal.js';
import type { Row } from './harness.js';

const BATCH = 1000;
const ctx = { name: 'bench', config: SiteConfig.defaults(), logger: memoryLogger() };

function pool(): Event[] {
  const body = Buffer.alloc(100, 0x61);
  return Array.from({ length: BATCH }, (_, i) =>
    Event.of(body, { timestamp: 1_700_000_000_000 + i, host: 'bench-host' }),
  );
}

/** Moves `total` events through the channel, `depth` put transactions ahead of the takes. */
async function moveThrough(ch: Channel, total: number, depth: number): Promise<number> {
  const events = pool();
  const t0 = process.hrtime.bigint();
  let put = 0;
  let taken = 0;
  while (taken < total) {
    while (put < total && put - taken < depth * BATCH) {
      const tx = ch.transaction();
      tx.begin();
      await tx.put(events.slice());
      await tx.commit();
      tx.close();
      put += BATCH;
    }
    const tx = ch.transaction();
    tx.begin();
    const got = await tx.take(BATCH);
    await tx.commit();
    tx.close();
    if (got.length === 0) throw new Error('channel returned nothing while events were queued');
    taken += got.length;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return Math.round(total / secs);
}

/** The same, with `writers` producers and `readers` consumers running concurrently. */
async function concurrent(ch: Channel, total: number, writers: number, readers: number): Promise<number> {
  const events = pool();
  const t0 = process.hrtime.bigint();
  let put = 0;
  let taken = 0;
  const write = async () => {
    while (put < total) {
      put += BATCH;
      const tx = ch.transaction();
      tx.begin();
      await tx.put(events.slice());
      await tx.commit();
      tx.close();
    }
  };
  const read = async () => {
    while (taken < total) {
      const tx = ch.transaction();
      tx.begin();
      const got = await tx.take(BATCH);
      await tx.commit();
      tx.close();
      taken += got.length;
      if (taken >= total && done === 0n) done = process.hrtime.bigint();
    }
  };
  let done = 0n;
  // A reader left waiting when the last event goes to another one waits out keep-alive: time the
  // moment the last event was taken, not the end of that wait.
  await Promise.all([...Array.from({ length: writers }, write), ...Array.from({ length: readers }, read)]);
  const secs = Number(done - t0) / 1e9;
  return Math.round(total / secs);
}

async function withFileChannel<T>(props: Record<string, string>, f: (ch: Channel) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const ch = fileChannel.create(
    {
      checkpointDir: join(dir, 'cp'),
      dataDirs: join(dir, 'data'),
      capacity: '1000000',
      transactionCapacity: String(BATCH),
      maxFileSize: String(64 * 1024 * 1024),
      checkpointInterval: '5000',
      minimumRequiredSpace: '0',
      ...props,
    },
    ctx,
  );
  await ch.start();
  try {
    return await f(ch);
  } finally {
    await ch.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The best rate of `n` runs: the run least disturbed by other work on the machine. */
async function best(n: number, f: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let i = 0; i < n; i++) top = Math.max(top, await f());
  return top;
}

async function walAppends(): Promise<{ rate: number; groups: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-wal-'));
  try {
    const log = await WriteAheadLog.open(dir, { logger: memoryLogger() });
    const payload = Buffer.alloc(1024, 0x62);
    const n = 50_000;
    const t0 = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          next++;
          await log.append([payload]);
        }
      }),
    );
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const groups = log.stats.groups;
    await log.close();
    return { rate: Math.round(n / secs), groups };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchChannels(): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (name: string, value: number, note: string) =>
    rows.push({ suite: 'channels', name, value, unit: 'events/s', note });

  const mem = memoryChannel.create(
    { capacity: '100000', transactionCapacity: String(BATCH), byteCapacity: '0' },
    ctx,
  );
  await mem.start();
  await moveThrough(mem, 1_000_000, 10); // warm-up
  row(
    'memory channel put+take',
    await best(3, () => moveThrough(mem, 5_000_000, 10)),
    'one producer, one consumer, transactions of 1000',
  );
  await mem.stop();

  row(
    'file channel put+take, fsync per transaction',
    await best(3, () => withFileChannel({}, (ch) => moveThrough(ch, 200_000, 10))),
    'every commit (put and take) waits for fdatasync',
  );
  row(
    'file channel 4 producers 2 consumers, fsync',
    await best(3, () => withFileChannel({}, (ch) => concurrent(ch, 300_000, 4, 2))),
    'concurrent commits share one write and sync',
  );
  row(
    'file channel put+take, fsync every 5 s',
    await best(3, () =>
      withFileChannel({ fsyncPerTransaction: 'false' }, (ch) => moveThrough(ch, 300_000, 10)),
    ),
    'survives a killed process, not power loss',
  );
  let groups = 0;
  const walRate = await best(3, async () => {
    const r = await walAppends();
    groups = r.groups;
    return r.rate;
  });
  rows.push({
    suite: 'channels',
    name: 'WAL append, 16 writers, fsync always',
    value: walRate,
    unit: 'records/s',
    note: `1 KiB records; group commit (${groups} syncs for 50000 appends in the last run)`,
  });
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchChannels()) {
    console.log(`${r.name.padEnd(48)} ${String(r.value).padStart(10)} ${r.unit}  ${r.note ?? ''}`);
  }
}
