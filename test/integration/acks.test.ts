// Acknowledgements end to end (docs/acks.md): each source acts on what became of its batches. A sink
// that fails every other batch must not make spooldir mark a file done early nor lose a line; a TAILDIR
// agent killed with SIGKILL resumes from the positions its acks advanced, losing nothing.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileChannel } from '../../src/channels/file.js';
import { SiteConfig } from '../../src/core/config.js';
import type { Batch } from '../../src/core/event.js';
import { memoryLogger } from '../../src/core/logger.js';
import type { CompiledNode } from '../../src/flow/compile.js';
import { LogicalNode } from '../../src/flow/logical-node.js';
import { SpoolDirSource } from '../../src/sources/spooldir.js';
import { FailingSink } from '../mocks/sinks.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'sluice.js');

function numbered(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `${i}\n`;
  return s;
}

/** Numbers 0..n-1 never seen, and how many were seen more than once. */
function audit(seen: number[], n: number): { lost: number; duplicated: number } {
  const count = new Uint32Array(n);
  let duplicated = 0;
  for (const s of seen) if (count[s]!++ > 0) duplicated++;
  let lost = 0;
  for (let i = 0; i < n; i++) if (count[i] === 0) lost++;
  return { lost, duplicated };
}

/** A logical node around a source and a sink built once (what compile.ts makes from a spec). */
function node(source: SpoolDirSource, sink: FailingSink): LogicalNode {
  const pos = { line: 1, column: 1, offset: 0 };
  const call = { name: 'x', args: [], kwargs: [], parens: false, pos };
  const compiled: CompiledNode = {
    name: 'n',
    spec: { name: 'n', source: call, sink: { type: 'call', call, pos }, pos },
    makeSource: () => source,
    makeSink: () => sink,
  };
  return new LogicalNode(compiled, memoryLogger());
}

/** Fails every other append; records, per append, files already marked done that the batch came from. */
class WatchingSink extends FailingSink {
  early: string[] = [];
  constructor() {
    super({ failEveryOther: true });
  }
  override append(batch: Batch): void | Promise<void> {
    for (const e of batch) {
      const file = e.getAttrString('file')!;
      if (existsSync(`${file}.COMPLETED`)) this.early.push(file);
    }
    return super.append(batch);
  }
}

test('spooldir under a sink failing every other batch: every line once, no file marked done before its last batch was accepted', async (t) => {
  const dir = tempDir('ack-spool', t);
  const names = ['a.log', 'b.log', 'c.log'];
  names.forEach((name, k) => {
    writeFileSync(join(dir, name), numbered(k * 25, k * 25 + 25));
  });
  const source = new SpoolDirSource(
    {
      spoolDir: dir,
      fileSuffix: '.COMPLETED',
      deleteImmediately: false,
      fileHeaderKey: 'file',
      batchSize: 10,
      includePattern: /^.*$/,
      ignorePattern: /^$/,
      trackerDir: '.flumespool',
      trackingPolicy: 'rename',
      consumeOrder: 'oldest',
      recursive: false,
      pollDelayMs: 20,
      inputCharset: 'UTF-8',
      decodeErrorPolicy: 'FAIL',
      maxLineLength: 2048,
    },
    memoryLogger(),
  );
  const sink = new WatchingSink();
  const n = node(source, sink);
  const done = n.start();
  await waitFor(
    () => names.every((name) => existsSync(join(dir, `${name}.COMPLETED`))),
    () => `every file marked done (sink has ${sink.count} events)`,
  );
  await n.stop();
  await done;
  assert.deepEqual(sink.early, []);
  const seen = sink.bodies().map(Number);
  assert.deepEqual(audit(seen, 75), { lost: 0, duplicated: 0 });
  // Each of the 9 batches failed once and was read again.
  assert.equal(n.totals().failed, 75);
  assert.equal(sink.appendFailures, 9);
});

function agentConf(dir: string): string {
  const conf = join(dir, 'agent.properties');
  writeFileSync(
    conf,
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sources.r1.type = TAILDIR',
      `a1.sources.r1.positionFile = ${join(dir, 'pos.json')}`,
      'a1.sources.r1.filegroups = g',
      `a1.sources.r1.filegroups.g = ${join(dir, 'logs', 'app\\.log')}`,
      'a1.sources.r1.batchSize = 100',
      // Positions written at every ack: what a crash repeats is the batch in flight, no more.
      'a1.sources.r1.writePosInterval = 0',
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = file',
      `a1.channels.c1.checkpointDir = ${join(dir, 'checkpoint')}`,
      `a1.channels.c1.dataDirs = ${join(dir, 'data')}`,
      'a1.channels.c1.capacity = 1000000',
      'a1.channels.c1.transactionCapacity = 1000',
      'a1.channels.c1.minimumRequiredSpace = 0',
      '',
    ].join('\n'),
  );
  return conf;
}

function startAgent(conf: string): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, [BIN, 'agent', '--conf-file', conf, '--name', 'a1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal === null && code !== 0) process.stderr.write(stderr);
      resolve(signal ?? code);
    }),
  );
  return { child, exited };
}

function savedPos(dir: string): number {
  try {
    const list = JSON.parse(readFileSync(join(dir, 'pos.json'), 'utf8')) as { pos: number }[];
    return list[0]?.pos ?? 0;
  } catch {
    return 0; // not written yet, or caught between the write and the rename
  }
}

async function drainChannel(dir: string): Promise<number[]> {
  const ch = fileChannel.create(
    {
      checkpointDir: join(dir, 'checkpoint'),
      dataDirs: join(dir, 'data'),
      capacity: '1000000',
      transactionCapacity: '1000',
      minimumRequiredSpace: '0',
      'keep-alive': '0.05',
    },
    { name: 'audit', config: SiteConfig.defaults(), logger: memoryLogger() },
  );
  await ch.start();
  const out: number[] = [];
  while (ch.size > 0) {
    const tx = ch.transaction();
    tx.begin();
    const got = await tx.take(1000);
    await tx.commit();
    tx.close();
    for (const e of got) out.push(Number(e.body.toString()));
  }
  await ch.stop();
  return out;
}

test('a TAILDIR agent with a file channel killed with SIGKILL resumes from its acked positions: 0 lost, at most one batch repeated', async (t) => {
  const dir = tempDir('ack-kill', t);
  const log = join(dir, 'logs', 'app.log');
  const conf = agentConf(dir);
  await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'logs')));
  let written = 0;
  let bytes = 0;
  const write = (n: number) => {
    const text = numbered(written, written + n);
    appendFileSync(log, text);
    written += n;
    bytes += Buffer.byteLength(text);
  };
  write(1000);
  const first = startAgent(conf);
  // The file keeps growing while the agent tails it, so the kill lands mid-stream; it stays at most
  // 200 KB ahead of the agent, so a slow start on a loaded machine does not pile up megabytes to read.
  const writer = setInterval(() => {
    if (bytes - savedPos(dir) < 200_000) write(500);
  }, 5);
  try {
    await waitFor(() => savedPos(dir) >= 100_000, 'the agent to commit 100,000 bytes', 60_000);
  } finally {
    first.child.kill('SIGKILL');
    clearInterval(writer);
  }
  assert.equal(await first.exited, 'SIGKILL');
  const atKill = savedPos(dir);
  write(1000);
  const size = readFileSync(log).length;
  assert.ok(atKill < size, 'the kill landed before the end of the file');

  const second = startAgent(conf);
  await waitFor(
    () => savedPos(dir) === size,
    () => `positions at the end (${savedPos(dir)} of ${size})`,
    60_000,
  );
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);

  const seen = await drainChannel(dir);
  const { lost, duplicated } = audit(seen, written);
  t.diagnostic(`${written} lines, ${seen.length} events in the channel, ${duplicated} duplicated`);
  assert.equal(lost, 0, 'lost');
  assert.ok(duplicated <= 100, `${duplicated} duplicated: more than one batch of 100`);
});
